import type { ServerResponse } from "node:http";
import type { BodySink, UpstreamBody } from "../upstream/body.js";
import { DrainWait } from "./drain.js";

/** What a relay may do besides copying bytes. */
export interface RelayHooks {
  /** Sees every chunk before it is written; a throw stops the relay (see `lastWords`). */
  onChunk?: (chunk: Buffer) => void;
  /** Runs after the last chunk and before the response ends: a promise to wait for, or nothing when it is done. */
  beforeEnd?: () => Promise<void> | undefined;
  /** The response's last bytes when `onChunk` threw (null: the response is cut). */
  lastWords?: (err: unknown) => Buffer | null;
}

/**
 * One upstream body streamed to one client with backpressure: the body
 * pauses while the client's socket is full (`drain` and `close` listeners
 * only then, see DrainWait), the response ends with the body, and is cut
 * if the body fails (so a broken upstream stream never looks complete). A
 * client that leaves cancels the request, which fails the body.
 */
class BodyRelay implements BodySink {
  bytes = 0;
  private settled = false;
  /** Made the first time the client's socket is full. */
  private drain: DrainWait | null = null;

  constructor(
    private readonly body: UpstreamBody,
    private readonly res: ServerResponse,
    private readonly hooks: RelayHooks,
    private readonly finished: RelayDone,
  ) {}

  /** The client's connection closed while its socket was full: the body is cut. */
  private clientGone(): void {
    this.body.destroy();
    this.done(new Error("the client closed the connection"));
  }

  private done(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.drain?.stop();
    this.finished(err, this.bytes);
  }

  onData(chunk: Buffer): boolean {
    if (this.hooks.onChunk !== undefined) {
      try {
        this.hooks.onChunk(chunk);
      } catch (err) {
        this.refuse(err);
        return false;
      }
    }
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return true;
    (this.drain ??= new DrainWait(this.res, () => this.body.resume(), () => this.clientGone())).start();
    return false;
  }

  /** The watcher refused the body (an event over its limit): the body is cut, the response ends with what the caller has to say. */
  private refuse(err: unknown): void {
    const { body, res } = this;
    body.destroy();
    const tail = this.hooks.lastWords?.(err) ?? null;
    if (tail === null) res.destroy();
    else {
      this.bytes += tail.length;
      res.end(tail);
    }
    this.done(err);
  }

  onEnd(): void {
    const beforeEnd = this.hooks.beforeEnd;
    if (beforeEnd === undefined) {
      this.res.end();
      this.done();
      return;
    }
    // E.g. settle the request's usage before the client sees the end, so its
    // next request (to any replica) already counts it.
    let settling: Promise<unknown> | undefined;
    try {
      settling = beforeEnd();
    } catch (err) {
      this.res.end();
      this.done(err);
      return;
    }
    if (settling === undefined) {
      this.res.end();
      this.done();
      return;
    }
    settling.then(
      () => {
        this.res.end();
        this.done();
      },
      (err: unknown) => {
        this.res.end();
        this.done(err);
      },
    );
  }

  onError(err: Error): void {
    this.res.destroy();
    this.done(err);
  }
}

/** How a relay ended: no error when the body went out whole; the bytes written either way. */
export type RelayDone = (err: unknown, bytes: number) => void;

/** Streams `body` to `res`, then calls `done` once: with the body's error (the client leaving included) if it failed. */
export function relayBodyThen(body: UpstreamBody, res: ServerResponse, hooks: RelayHooks, done: RelayDone): void {
  body.start(new BodyRelay(body, res, hooks, done));
}
