import type { Clock } from "../deps.js";

/** Re-fork backoff: first delay, cap, and how long a worker must serve for its slot's count to reset. */
export interface RestartPolicy {
  minDelayMs?: number;
  maxDelayMs?: number;
  stableMs?: number;
}

interface Slot {
  failures: number;
  timer: NodeJS.Timeout | null;
}

/**
 * When to fork a new worker into a slot whose worker died: the delay
 * doubles with each failure of that slot (from `minDelayMs` up to
 * `maxDelayMs`) and starts over once a worker has served `stableMs`, so a
 * worker that crashes at start does not fork in a tight loop.
 */
export class RestartBackoff {
  private readonly slots: Slot[];

  constructor(
    workers: number,
    private readonly policy: RestartPolicy,
    private readonly clock: Clock,
  ) {
    this.slots = Array.from({ length: workers }, () => ({ failures: 0, timer: null }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Schedules `fork` for `slot` after its backoff; `servingSince` is when its last worker started serving (0: never). Returns the delay. */
  schedule(slot: number, servingSince: number, fork: () => void): number {
    const s = this.slots[slot]!;
    const { minDelayMs = 100, maxDelayMs = 10_000, stableMs = 30_000 } = this.policy;
    if (servingSince > 0 && this.clock.monotonic() - servingSince >= stableMs) s.failures = 0;
    const delayMs = Math.min(minDelayMs * 2 ** s.failures, maxDelayMs);
    s.failures++;
    s.timer = setTimeout(() => {
      s.timer = null;
      fork();
    }, delayMs);
    return delayMs;
  }

  /** Cancels every scheduled fork (shutdown). */
  cancel(): void {
    for (const s of this.slots) if (s.timer !== null) clearTimeout(s.timer);
  }
}
