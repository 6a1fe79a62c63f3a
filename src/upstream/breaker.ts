import type { Clock } from "../deps.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSettings {
  failureRatio: number;
  minRequests: number;
  windowMs: number;
  openMs: number;
  halfOpenRequests: number;
}

const BUCKETS = 10;

/**
 * A circuit breaker per target. Closed: outcomes are counted in a rolling
 * window (10 buckets); once at least `minRequests` were seen and the share
 * of failures reaches `failureRatio`, it opens. Open: no traffic for
 * `openMs`. Half-open: up to `halfOpenRequests` probes; all succeeding
 * closes it, any failing opens it again.
 */
export class CircuitBreaker {
  private stateValue: BreakerState = "closed";
  private openedAt = 0;
  private probes = 0;
  private probeSuccesses = 0;
  private readonly ok = new Array<number>(BUCKETS).fill(0);
  private readonly bad = new Array<number>(BUCKETS).fill(0);
  private bucketStart = 0;
  private bucket = 0;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    if (this.stateValue === "open" && this.clock.now() - this.openedAt >= this.settings.openMs) this.transition("half_open");
    return this.stateValue;
  }

  /** Whether a request may go to this target now (half-open: takes a probe slot). */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open") return false;
    if (this.probes >= this.settings.halfOpenRequests) return false;
    this.probes++;
    return true;
  }

  /** Whether the target could take a request now, without taking a probe slot. */
  get available(): boolean {
    const s = this.state;
    return s === "closed" || (s === "half_open" && this.probes < this.settings.halfOpenRequests);
  }

  record(success: boolean): void {
    const s = this.state;
    if (s === "half_open") {
      if (!success) return this.open();
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.settings.halfOpenRequests) this.close();
      return;
    }
    if (s === "open") return;
    this.rotate();
    if (success) this.ok[this.bucket]!++;
    else this.bad[this.bucket]!++;
    const failures = this.bad.reduce((a, b) => a + b, 0);
    const total = failures + this.ok.reduce((a, b) => a + b, 0);
    if (total >= this.settings.minRequests && failures / total >= this.settings.failureRatio) this.open();
  }

  private rotate(): void {
    const size = this.settings.windowMs / BUCKETS;
    const now = this.clock.now();
    const steps = Math.floor((now - this.bucketStart) / size);
    if (steps <= 0) return;
    for (let i = 1; i <= Math.min(steps, BUCKETS); i++) {
      const b = (this.bucket + i) % BUCKETS;
      this.ok[b] = 0;
      this.bad[b] = 0;
    }
    this.bucket = (this.bucket + steps) % BUCKETS;
    this.bucketStart += steps * size;
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.transition("open");
  }

  private close(): void {
    this.ok.fill(0);
    this.bad.fill(0);
    this.bucketStart = this.clock.now();
    this.transition("closed");
  }

  private transition(next: BreakerState): void {
    if (next === this.stateValue) return;
    this.stateValue = next;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.onChange(next);
  }
}
