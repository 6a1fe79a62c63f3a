import { errors, type Dispatcher } from "undici";
import type { Cancel } from "../lifecycle/cancel.js";
import { PendingBody, type BodySink, type UpstreamBody } from "./body.js";
import type { UpstreamResponse } from "./exchange.js";

/** Who hears how an exchange started: its head, or its failure before any head (once, one or the other). */
export interface ExchangeListener {
  onUpstreamHead(response: UpstreamResponse): void;
  onUpstreamError(err: Error): void;
}

/** Body bytes kept while nobody reads them yet; past this the connection is paused. */
const HOLD_BYTES = 64 * 1024;

/**
 * One exchange with a target through undici's `dispatch`: the response
 * head goes to the listener, the body is pushed to whoever starts it
 * (relay, collector) with backpressure through undici's controller. No
 * Readable, async resource or abort-signal listener per request, which
 * undici's `request` makes; `cancel` aborts the exchange at any point, and
 * fails a body still being delivered. The cancel listener stays for the
 * request's life (a Cancel belongs to one request).
 *
 * The listener hears the head (or the failure) in a microtask, never
 * inside undici's call: the parser first delivers the rest of what it
 * read (a fast upstream's whole answer is often in the same read, and is
 * then relayed as one chunk), and a listener that sends again (a retry)
 * does not re-enter undici's dispatch.
 */
export class DispatchExchange implements Dispatcher.DispatchHandler, UpstreamBody {
  private controller: Dispatcher.DispatchController | null = null;
  private readonly pending = new PendingBody();
  private responded = false;
  private finished = false;
  private head: UpstreamResponse | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly cancel: Cancel,
    private readonly listener: ExchangeListener,
  ) {
    cancel.onAbort(this.onCancel);
  }

  /** The head (or the failure before one), to the listener. */
  private readonly deliver = (): void => {
    if (this.head !== null) this.listener.onUpstreamHead(this.head);
    else this.listener.onUpstreamError(this.failure!);
  };

  /** The head arrived (a subclass's hook: the pool times it). */
  protected headArrived(): void {}

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
    this.head = { status: statusCode, headers, body: this };
    this.headArrived();
    queueMicrotask(this.deliver);
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
      this.failure = err;
      queueMicrotask(this.deliver);
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
