import type { Clock } from "../deps.js";
import { charge, evaluate, initialState, ttlMs, type CounterState, type LimitSpec } from "./algorithms.js";
import type { CheckOutcome, LimitCheck, RateLimitStore } from "./store.js";

interface Entry {
  state: CounterState;
  expiresAt: number;
}

/**
 * Counters in process memory (one replica). Bounded: at most `maxKeys`
 * counters, least recently used evicted first, and idle ones (whose state is
 * as good as new) dropped by a sweep every `sweepMs`.
 */
export class MemoryStore implements RateLimitStore {
  private readonly counters = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
    sweepMs = 10_000,
  ) {
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref();
  }

  private load(key: string, spec: LimitSpec, now: number): CounterState {
    const entry = this.counters.get(key);
    if (entry === undefined || entry.expiresAt <= now) return initialState(spec, now);
    return entry.state;
  }

  private save(key: string, spec: LimitSpec, state: CounterState, now: number): void {
    this.counters.delete(key); // re-insert: Map order is recency order
    this.counters.set(key, { state, expiresAt: now + ttlMs(spec, state, now) });
    if (this.counters.size > this.maxKeys) {
      const oldest = this.counters.keys().next().value;
      if (oldest !== undefined) this.counters.delete(oldest);
    }
  }

  async check(checks: readonly LimitCheck[]): Promise<CheckOutcome> {
    return this.checkNow(checks);
  }

  /** Synchronous, hence atomic: nothing else runs between the checks and the charges. */
  checkNow(checks: readonly LimitCheck[]): CheckOutcome {
    const now = this.clock.now();
    const evaluated = checks.map((c) => ({ c, ...evaluate(c.spec, this.load(c.key, c.spec, now), now, c.admit) }));
    const allowed = evaluated.every((e) => e.c.shadow || e.decision.allowed);
    if (allowed) {
      for (const e of evaluated) {
        const { state, remaining } = charge(e.c.spec, e.state, now, e.c.cost);
        this.save(e.c.key, e.c.spec, state, now);
        e.decision.remaining = remaining;
      }
    }
    return { allowed, decisions: evaluated.map((e) => e.decision) };
  }

  async adjust(check: Pick<LimitCheck, "key" | "spec">, delta: number): Promise<void> {
    const now = this.clock.now();
    const { state } = charge(check.spec, this.load(check.key, check.spec, now), now, delta);
    this.save(check.key, check.spec, state, now);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
  }

  /** Counters held now (tests). */
  get size(): number {
    return this.counters.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  async destroy(): Promise<void> {
    clearInterval(this.timer);
    this.counters.clear();
  }
}
