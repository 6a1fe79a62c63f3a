import type { ServerResponse } from "node:http";

/**
 * A relay's wait for a full client socket: `drain`, or the client going
 * away, whichever comes first. A response whose connection has closed
 * never emits `drain`, so waiting for it alone would hang a relay whose
 * body does not hear of the cancellation itself. The listeners exist only
 * while a wait is on.
 */
export class DrainWait {
  private waiting = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly drained: () => void,
    private readonly gone: () => void,
  ) {}

  /** Starts waiting (a no-op while a wait is on). */
  start(): void {
    if (this.waiting) return;
    if (this.res.destroyed) {
      // Closed already: no event will come. Reported on a microtask, outside the caller's write.
      queueMicrotask(this.gone);
      return;
    }
    this.waiting = true;
    this.res.once("drain", this.onDrain);
    this.res.once("close", this.onClose);
  }

  /** Stops a wait that is on. */
  stop(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.res.off("drain", this.onDrain);
    this.res.off("close", this.onClose);
  }

  private readonly onDrain = (): void => {
    this.stop();
    this.drained();
  };

  private readonly onClose = (): void => {
    this.stop();
    this.gone();
  };
}
