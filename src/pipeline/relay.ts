import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";

/**
 * Streams an upstream body to the client with backpressure: pauses the
 * source while the client's socket is full, ends the response with the
 * source, and cuts the response if the source fails (so a broken upstream
 * stream never looks complete). Lighter than stream.pipeline, which builds
 * an AbortController and error plumbing per call. `beforeEnd` runs after
 * the last chunk and before the response ends. Resolves with the bytes
 * written; rejects with the source's error, or when the client left.
 */
export function relayBody(
  source: Readable,
  res: ServerResponse,
  onChunk?: (chunk: Buffer) => void,
  beforeEnd?: () => Promise<void>,
  lastWords?: (err: unknown) => Buffer | null,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let settled = false;
    const done = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (err === undefined) resolve(bytes);
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      if (onChunk !== undefined) {
        try {
          onChunk(chunk);
        } catch (err) {
          // The watcher refused the body (an event over its limit): the source
          // is cut, the client's response ends with what the caller has to say.
          source.off("error", onError);
          source.on("error", () => undefined);
          source.destroy();
          const tail = lastWords?.(err) ?? null;
          if (tail === null) res.destroy();
          else {
            bytes += tail.length;
            res.end(tail);
          }
          done(err);
          return;
        }
      }
      bytes += chunk.length;
      if (!res.write(chunk)) source.pause();
    };
    const onDrain = (): void => {
      source.resume();
    };
    const onEnd = (): void => {
      if (beforeEnd === undefined) {
        res.end();
        done();
        return;
      }
      // E.g. record token usage before the client sees the end, so its next
      // request (to any replica) already counts it.
      beforeEnd().then(
        () => {
          res.end();
          done();
        },
        (err: unknown) => {
          res.end();
          done(err);
        },
      );
    };
    const onError = (err: unknown): void => {
      res.destroy();
      done(err);
    };
    const onClose = (): void => {
      if (!res.writableFinished) {
        source.destroy();
        done(new Error("the client closed the connection"));
      }
    };
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
    res.on("drain", onDrain);
    res.once("close", onClose);
  });
}
