import type { Worker } from "node:cluster";
import type { Reply, ToWorker } from "./messages.js";

/**
 * The primary's questions to its workers: each carries an id, and the
 * answer with the same id settles it. A question settles with null when
 * it is not answered in time or its worker exits, so a dead worker never
 * holds up a scrape or a rollout.
 */
export class WorkerRequests {
  private nextId = 1;
  private readonly pending = new Map<number, { workerId: number; settle(reply: Reply | null): void }>();

  /** Sends `make(id)` and resolves with the answer, or null on timeout or when the worker exits. */
  ask(worker: Worker, make: (id: number) => ToWorker, timeoutMs: number): Promise<Reply | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      const settle = (reply: Reply | null): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(reply);
      };
      this.pending.set(id, { workerId: worker.id, settle });
      try {
        worker.send(make(id));
      } catch {
        settle(null);
      }
    });
  }

  /** An answer arrived. */
  answer(reply: Reply): void {
    this.pending.get(reply.id)?.settle(reply);
  }

  /** A worker exited: its open questions settle with null. */
  forget(worker: Worker): void {
    for (const [, p] of this.pending) if (p.workerId === worker.id) p.settle(null);
  }
}
