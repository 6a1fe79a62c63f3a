import { EventEmitter } from "node:events";

/**
 * Cancels a request's upstream work: when the client leaves or a timeout
 * fires. An EventEmitter emitting `abort` (undici accepts one as `signal`),
 * cheaper than an AbortController per request, which allocates a
 * DOMException when it aborts.
 */
export class Cancel extends EventEmitter {
  aborted = false;
  /** Why: an HttpError for timeouts; undefined when the client left. */
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}

/** Waits `ms`, or rejects early when `cancel` aborts. */
export function delay(ms: number, cancel: Cancel): Promise<void> {
  if (cancel.aborted) return Promise.reject(new Error("aborted"));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    const timer = setTimeout(() => {
      cancel.off("abort", onAbort);
      resolve();
    }, ms);
    cancel.once("abort", onAbort);
  });
}
