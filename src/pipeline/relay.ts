import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";

/** What a relay may do besides copying bytes. */
export interface RelayHooks {
  /** Sees every chunk before it is written; a throw stops the relay (see `lastWords`). */
  onChunk?: (chunk: Buffer) => void;
  /** Runs after the last chunk and before the response ends. */
  beforeEnd?: () => Promise<void>;
  /** The response's last bytes when `onChunk` threw (null: the response is cut). */
  lastWords?: (err: unknown) => Buffer | null;
}

/**
 * One upstream body streamed to one client with backpressure: the source
 * pauses while the client's socket is full, the response ends with the
 * source, and is cut if the source fails (so a broken upstream stream never
 * looks complete). Lighter than stream.pipeline, which builds an
 * AbortController and error plumbing per call; the listeners are this
 * object's own methods.
 */
class BodyRelay {
  bytes = 0;
  private settled = false;

  constructor(
    private readonly source: Readable,
    private readonly res: ServerResponse,
    private readonly hooks: RelayHooks,
    private readonly resolve: (bytes: number) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    source.on("data", this.onData);
    source.once("end", this.onEnd);
    source.once("error", this.onError);
    res.on("drain", this.onDrain);
    res.once("close", this.onClose);
  }

  private done(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const { source, res } = this;
    source.off("data", this.onData);
    source.off("end", this.onEnd);
    source.off("error", this.onError);
    res.off("drain", this.onDrain);
    res.off("close", this.onClose);
    if (err === undefined) this.resolve(this.bytes);
    else this.reject(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.hooks.onChunk !== undefined) {
      try {
        this.hooks.onChunk(chunk);
      } catch (err) {
        this.refuse(err);
        return;
      }
    }
    this.bytes += chunk.length;
    if (!this.res.write(chunk)) this.source.pause();
  };

  /** The watcher refused the body (an event over its limit): the source is cut, the response ends with what the caller has to say. */
  private refuse(err: unknown): void {
    const { source, res } = this;
    source.off("error", this.onError);
    source.on("error", () => undefined);
    source.destroy();
    const tail = this.hooks.lastWords?.(err) ?? null;
    if (tail === null) res.destroy();
    else {
      this.bytes += tail.length;
      res.end(tail);
    }
    this.done(err);
  }

  private readonly onDrain = (): void => {
    this.source.resume();
  };

  private readonly onEnd = (): void => {
    const beforeEnd = this.hooks.beforeEnd;
    if (beforeEnd === undefined) {
      this.res.end();
      this.done();
      return;
    }
    // E.g. settle the request's usage before the client sees the end, so its
    // next request (to any replica) already counts it.
    beforeEnd().then(
      () => {
        this.res.end();
        this.done();
      },
      (err: unknown) => {
        this.res.end();
        this.done(err);
      },
    );
  };

  private readonly onError = (err: unknown): void => {
    this.res.destroy();
    this.done(err);
  };

  private readonly onClose = (): void => {
    if (!this.res.writableFinished) {
      this.source.destroy();
      this.done(new Error("the client closed the connection"));
    }
  };
}

/** Streams `source` to `res`; resolves with the bytes written, rejects with the source's error or when the client left. */
export function relayBody(source: Readable, res: ServerResponse, hooks: RelayHooks = {}): Promise<number> {
  return new Promise((resolve, reject) => void new BodyRelay(source, res, hooks, resolve, reject));
}
