import { Http2ServerRequest, Http2ServerResponse, type ServerHttp2Stream } from "node:http2";
import type { IncomingHttpHeaders } from "node:http";
import type { ReadableOptions } from "node:stream";

/** What a reader of a cut HTTP/1.1 request body sees (node:http's `connResetException`). */
function abortedError(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

/**
 * An HTTP/2 request whose body ends only when the client ended it.
 *
 * node's compatibility layer ends the body when the client resets the
 * stream (RST_STREAM), and reports the reset one callback later; a proxy
 * that streams the body would then send the part it got upstream as a whole
 * request. Here the end waits one turn of the event loop, and a reset seen
 * by then fails the body as a dropped HTTP/1.1 connection does: an
 * ECONNRESET error, emitted only to a reader that listens for errors (a
 * reader that comes later gets it when it starts reading).
 */
export class GuardedHttp2Request extends Http2ServerRequest {
  private cut = false;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: ReadableOptions, rawHeaders: readonly string[]) {
    super(stream, headers, options, rawHeaders);
    this.once("aborted", () => {
      this.cut = true;
      this.fail();
    });
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) return super.push(chunk, encoding);
    if (this.cut) {
      this.fail();
      return false;
    }
    setImmediate(() => (this.cut ? this.fail() : super.push(null)));
    return false;
  }

  override _read(size: number): void {
    if (this.cut) this.fail();
    else super._read(size);
  }

  private fail(): void {
    if (!this.destroyed && this.listenerCount("error") > 0) this.destroy(abortedError());
  }
}

/**
 * An HTTP/2 response that counts as finished only when the gateway ended
 * it, as an HTTP/1.1 one does. node's compatibility layer reports
 * `writableFinished` once the stream's writable side is closed, which a
 * client's RST_STREAM does too, so "the client left before the response
 * finished" (which cancels the upstream request) would go unseen.
 */
export class GuardedHttp2Response extends Http2ServerResponse<GuardedHttp2Request> {}

Object.defineProperty(GuardedHttp2Response.prototype, "writableFinished", {
  get(this: GuardedHttp2Response): boolean {
    return this.writableEnded && this.stream.writableFinished;
  },
});
