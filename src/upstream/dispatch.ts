import { errors, type Dispatcher } from "undici";
import type { Cancel } from "../lifecycle/cancel.js";
import { PendingBody, type BodySink, type UpstreamBody } from "./body.js";
import type { UpstreamResponse } from "./exchange.js";

/** Body bytes kept while nobody reads them yet; past this the connection is paused. */
const HOLD_BYTES = 64 * 1024;

/**
 * One exchange with a target through undici's `dispatch`: the response
 * head resolves `respond`, the body is pushed to whoever starts it
 * (relay, collector) with backpressure through undici's controller. No
 * Readable, async resource or abort-signal listener per request, which
 * undici's `request` makes; `cancel` aborts the exchange at any point, and
 * fails a body still being delivered. The cancel listener stays for the
 * request's life (a Cancel belongs to one request).
 */
export class DispatchExchange implements Dispatcher.DispatchHandler, UpstreamBody {
  private controller: Dispatcher.DispatchController | null = null;
  private readonly pending = new PendingBody();
  private responded = false;
  private finished = false;

  constructor(
    private readonly cancel: Cancel,
    private readonly respond: (response: UpstreamResponse) => void,
    private readonly fail: (err: Error) => void,
  ) {
    cancel.onAbort(this.onCancel);
  }

  /** The exchange is aborted, and a body already in (held for a paused sink) fails too. */
  private readonly onCancel = (): void => {
    const reason = this.cancelReason();
    if (!this.finished) this.controller?.abort(reason);
    this.pending.fail(reason);
  };

  /** A timeout's HttpError, or undici's own error when the client left. */
  private cancelReason(): Error {
    const reason = this.cancel.reason;
    return reason instanceof Error ? reason : new errors.RequestAbortedError();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cancel.aborted) controller.abort(this.cancelReason());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers (100 Continue, 103 Early Hints) are not the response.
    if (statusCode < 200 || this.responded) return;
    this.responded = true;
    this.respond({ status: statusCode, headers, body: this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const pending = this.pending;
    if (!pending.data(chunk) && (pending.started || pending.held > HOLD_BYTES)) controller.pause();
  }

  onResponseEnd(): void {
    this.finished = true;
    this.pending.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finished = true;
    if (this.responded) this.pending.fail(err);
    else {
      this.cancel.off(this.onCancel);
      this.fail(err);
    }
  }

  start(sink: BodySink): void {
    if (this.pending.start(sink)) this.controller?.resume();
  }

  resume(): void {
    if (this.pending.resume()) this.controller?.resume();
  }

  destroy(): void {
    this.pending.drop();
    this.cancel.off(this.onCancel);
    if (this.finished) return;
    this.finished = true;
    this.controller?.abort(new Error("the upstream body was dropped"));
  }
}
