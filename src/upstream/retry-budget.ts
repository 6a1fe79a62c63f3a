import type { Clock } from "../deps.js";

const BUCKET_MS = 1000;
const BUCKETS = 10;

/**
 * Retries never exceed `ratio` × the requests of the last 10 s, so a failing
 * upstream cannot be hammered by retries (Linkerd's and Envoy's retry
 * budgets). Counts are per upstream pool.
 */
export class RetryBudget {
  private readonly requests = new Array<number>(BUCKETS).fill(0);
  private readonly retries = new Array<number>(BUCKETS).fill(0);
  private current = 0;
  private epoch = 0;

  constructor(
    private readonly ratio: number,
    private readonly clock: Clock,
  ) {}

  private rotate(): void {
    const now = Math.floor(this.clock.now() / BUCKET_MS);
    if (this.epoch === 0) this.epoch = now;
    const steps = now - this.epoch;
    if (steps <= 0) return;
    for (let i = 1; i <= Math.min(steps, BUCKETS); i++) {
      const b = (this.current + i) % BUCKETS;
      this.requests[b] = 0;
      this.retries[b] = 0;
    }
    this.current = (this.current + steps) % BUCKETS;
    this.epoch = now;
  }

  recordRequest(): void {
    this.rotate();
    this.requests[this.current]!++;
  }

  /** Takes a retry from the budget if one is left. */
  tryRetry(): boolean {
    this.rotate();
    const requests = this.requests.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    if (retries + 1 > this.ratio * requests) return false;
    this.retries[this.current]!++;
    return true;
  }
}
