import type { Readable } from "node:stream";
import type { Cancel } from "../lifecycle/cancel.js";

/** Where an upstream body's bytes go, pushed as they arrive. */
export interface BodySink {
  /** One chunk; return false to pause the source until `resume()`. */
  onData(chunk: Buffer): boolean;
  /** The body ended whole. */
  onEnd(): void;
  /** The body failed or was cut (the upstream reset, a timeout, a cancel). */
  onError(err: Error): void;
}

/**
 * An upstream answer's body: a push source with backpressure, started once.
 * Chunks that arrive before `start` are kept and delivered first. A started
 * body always ends with `onEnd` or `onError`, and fails when its request is
 * cancelled (the client left, a timeout), so a sink waiting for `drain`
 * is never left hanging. After `destroy` no sink method is called.
 */
export interface UpstreamBody {
  start(sink: BodySink): void;
  /** Delivery goes on after a sink's `onData` returned false. */
  resume(): void;
  /** Stops the body (the exchange is cut). Idempotent. */
  destroy(): void;
}

/**
 * Chunks that arrived before a sink did (or while it was paused), and the
 * end that followed them: what every body source delivers once `start` is
 * called. A normal end waits behind the chunks; a failure does not (held
 * chunks are dropped): a sink paused on a client that has gone must still
 * hear that the body failed.
 */
export class PendingBody {
  private chunks: Buffer[] | null = null;
  private end: "none" | "end" | "error" = "none";
  private error: Error | null = null;
  private sink: BodySink | null = null;
  private paused = false;
  /** The sink has had its onEnd or onError (or the body was dropped). */
  private over = false;
  /** Bytes kept, not yet delivered. */
  held = 0;

  get started(): boolean {
    return this.sink !== null;
  }

  /**
   * Delivers now, or keeps it until a sink starts: false when it was kept
   * or the sink asked to pause (a source pauses then, or, before a sink
   * starts, once `held` grows past what it is willing to keep).
   */
  data(chunk: Buffer): boolean {
    if (this.over) return false;
    const sink = this.sink;
    if (sink !== null && this.chunks === null) {
      if (sink.onData(chunk)) return true;
      this.paused = true;
      return false;
    }
    (this.chunks ??= []).push(chunk);
    this.held += chunk.length;
    return false;
  }

  /** The body ended whole: delivered after the chunks kept. */
  finish(): void {
    if (this.end !== "none") return;
    this.end = "end";
    if (this.sink !== null && this.chunks === null) this.settle();
  }

  /** The body failed: the sink hears it now (it may be paused on a client that left); kept chunks are dropped. */
  fail(err: Error): void {
    if (this.over) return;
    this.end = "error";
    this.error = err;
    this.chunks = null;
    this.held = 0;
    if (this.sink !== null) this.settle();
  }

  /** Starts delivery to `sink`: what was kept first. Returns whether the source may produce more. */
  start(sink: BodySink): boolean {
    if (this.over) return false;
    this.sink = sink;
    return this.flush();
  }

  /** Delivery goes on; true when the source may produce more. */
  resume(): boolean {
    this.paused = false;
    return this.flush();
  }

  /** No sink gets anything more. */
  drop(): void {
    this.over = true;
    this.sink = null;
    this.chunks = null;
    this.held = 0;
  }

  private flush(): boolean {
    const sink = this.sink;
    if (sink === null) return false;
    let chunks = this.chunks;
    if (chunks !== null) {
      // Chunks that waited for the sink go on as one: their bytes are all here,
      // and every delivery costs the sink a pass (a stream split, a write to
      // the client) whatever its size. A fast upstream's whole stream is
      // often here before the relay starts: 20 events, 20 client writes.
      if (chunks.length > 1) chunks = this.chunks = [Buffer.concat(chunks)];
      while (chunks.length > 0) {
        const chunk = chunks.shift()!;
        this.held -= chunk.length;
        const more = sink.onData(chunk);
        if (this.sink !== sink || this.chunks !== chunks) return false;
        if (!more) {
          this.paused = true;
          if (chunks.length > 0 || this.end === "none") return false;
        }
      }
      this.chunks = null;
    }
    if (this.end !== "none") {
      this.settle();
      return false;
    }
    return !this.paused;
  }

  private settle(): void {
    const sink = this.sink;
    if (sink === null || this.over) return;
    this.over = true;
    this.sink = null;
    if (this.end === "end") sink.onEnd();
    else sink.onError(this.error!);
  }
}

/** A body whose bytes are all here already (the in-process mock's JSON answers). */
export function bufferBody(bytes: Buffer): UpstreamBody {
  const pending = new PendingBody();
  pending.data(bytes);
  pending.finish();
  return { start: (sink) => void pending.start(sink), resume: () => void pending.resume(), destroy: () => pending.drop() };
}

/** A Readable (the in-process mock's answers, tests) as an upstream body that fails when `cancel` aborts. */
export function readableBody(source: Readable, cancel: Cancel): UpstreamBody {
  return new ReadableBody(source, cancel);
}

class ReadableBody implements UpstreamBody {
  private readonly pending = new PendingBody();

  constructor(
    private readonly source: Readable,
    private readonly cancel: Cancel,
  ) {
    source.on("data", this.onData);
    source.once("end", this.onEnd);
    source.once("error", this.onError);
    cancel.onAbort(this.onCancel);
  }

  private readonly onCancel = (): void => {
    const err = new Error("the request was cancelled");
    this.source.destroy(err);
    this.pending.fail(err);
  };

  private readonly onData = (chunk: Buffer): void => {
    if (!this.pending.data(chunk)) this.source.pause();
  };

  private readonly onEnd = (): void => this.pending.finish();

  private readonly onError = (err: Error): void => this.pending.fail(err);

  start(sink: BodySink): void {
    if (this.pending.start(sink)) this.source.resume();
  }

  resume(): void {
    if (this.pending.resume()) this.source.resume();
  }

  destroy(): void {
    this.pending.drop();
    this.cancel.off(this.onCancel);
    this.source.off("data", this.onData);
    this.source.on("error", () => undefined);
    this.source.destroy();
  }
}

/**
 * A body's bytes, whole, at most `maxBytes`, to `done` (once): null when
 * it is larger (the rest is cut), or the body's error.
 */
export function collectBodyThen(body: UpstreamBody, maxBytes: number, done: (err: Error | undefined, bytes: Buffer | null) => void): void {
  body.start(new BodyCollector(body, maxBytes, done));
}

/** `collectBodyThen` as a promise. */
export function collectBody(body: UpstreamBody, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => collectBodyThen(body, maxBytes, (err, bytes) => (err === undefined ? resolve(bytes) : reject(err))));
}

class BodyCollector implements BodySink {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly body: UpstreamBody,
    private readonly maxBytes: number,
    private readonly done: (err: Error | undefined, bytes: Buffer | null) => void,
  ) {}

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.body.destroy();
      this.done(undefined, null);
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onEnd(): void {
    const chunks = this.chunks;
    this.done(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size));
  }

  onError(err: Error): void {
    this.done(err, null);
  }
}

/** Reads a body to its end and forgets it (the connection stays reusable). */
export function drainBody(body: UpstreamBody): void {
  body.start(DISCARD);
}

const DISCARD: BodySink = { onData: () => true, onEnd: () => undefined, onError: () => undefined };
