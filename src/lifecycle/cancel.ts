/**
 * Cancels a request's upstream work: when the client leaves or a timeout
 * fires. A plain list of callbacks, cheaper than an AbortController (which
 * allocates a DOMException when it aborts) or an EventEmitter per request.
 */
export class Cancel {
  /** `log`: where a listener's failure is reported (the request's logger); without one it is dropped. */
  constructor(private readonly log?: { error(fields: object, message: string): void }) {}

  aborted = false;
  /** Why: an HttpError for timeouts; undefined when the client left. */
  reason: unknown = undefined;
  private listeners: (() => void)[] | null = null;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners !== null) for (const listener of listeners) this.call(listener);
  }

  /** Calls `listener` once when this aborts; on a microtask when it already has (so no caller can miss it). */
  onAbort(listener: () => void): void {
    if (this.aborted) queueMicrotask(() => this.call(listener));
    else (this.listeners ??= []).push(listener);
  }

  /** One listener's failure must not keep the others from hearing of the abort (each ends a body or a timer). */
  private call(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.log?.error({ err }, "a cancellation listener failed");
    }
  }

  off(listener: () => void): void {
    const listeners = this.listeners;
    if (listeners === null) return;
    const i = listeners.indexOf(listener);
    if (i !== -1) listeners.splice(i, 1);
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
      cancel.off(onAbort);
      resolve();
    }, ms);
    cancel.onAbort(onAbort);
  });
}
