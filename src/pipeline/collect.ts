import type { Readable } from "node:stream";

/**
 * A stream's bytes, whole, at most `maxBytes`, to `done`: null when it is
 * larger, once `overflow` has dealt with the rest (drain a client's upload,
 * cut an upstream's answer). Listens to events rather than iterating
 * asynchronously, which builds an iterator and a promise per chunk. A
 * client that aborts mid-body (`aborted` on a request) fails it. `done` is
 * called once.
 */
export function collectThen(source: Readable, maxBytes: number, overflow: (source: Readable) => void, done: (err: Error | null, bytes: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const cleanup = (): void => {
    source.off("data", onData);
    source.off("end", onEnd);
    source.off("error", onError);
    source.off("aborted", onAborted);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > maxBytes) {
      cleanup();
      overflow(source);
      done(null, null);
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    cleanup();
    done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  };
  const onError = (err: Error): void => {
    cleanup();
    done(err, null);
  };
  const onAborted = (): void => onError(new Error("the client aborted the request"));
  // `on`, not `once`: cleanup removes all four, and `once` wraps each listener in a new closure.
  source.on("data", onData);
  source.on("end", onEnd);
  source.on("error", onError);
  source.on("aborted", onAborted);
}

