import type { Clock } from "../deps.js";
import { charge, evaluate, initialState, ttlMs, type CounterState, type Decision, type LimitSpec } from "./algorithms.js";
import type { CheckOutcome, LimitCheck, RateLimitStore } from "./store.js";

interface Entry {
  state: CounterState;
  expiresAt: number;
  /** When the entry last moved to the recent end of the map. */
  touchedAt: number;
}

/** Recency is kept to this granularity: a busy counter is not re-inserted on every request. */
const TOUCH_MS = 1000;

/**
 * Counters in process memory (one replica). Bounded: at most `maxKeys`
 * counters, least recently used (to the second) evicted first, and idle ones (whose state is
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
    const expiresAt = now + ttlMs(spec, state, now);
    const entry = this.counters.get(key);
    if (entry !== undefined && now - entry.touchedAt < TOUCH_MS) {
      entry.state = state;
      entry.expiresAt = expiresAt;
      return;
    }
    this.counters.delete(key); // re-insert: Map order is recency order
    this.counters.set(key, { state, expiresAt, touchedAt: now });
    if (this.counters.size > this.maxKeys) {
      const oldest = this.counters.keys().next().value;
      if (oldest !== undefined) this.counters.delete(oldest);
    }
  }

  check(checks: readonly LimitCheck[]): CheckOutcome {
    return this.checkNow(checks);
  }

  /** Synchronous, hence atomic: nothing else runs between the checks and the charges. */
  checkNow(checks: readonly LimitCheck[]): CheckOutcome {
    const now = this.clock.now();
    const decisions: Decision[] = [];
    const states: CounterState[] = [];
    let allowed = true;
    for (const c of checks) {
      const { decision, state } = evaluate(c.spec, this.load(c.key, c.spec, now), now, c.admit);
      decisions.push(decision);
      states.push(state);
      if (!c.shadow && !decision.allowed) allowed = false;
    }
    if (allowed) {
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!;
        const { state, remaining } = charge(c.spec, states[i]!, now, c.cost);
        this.save(c.key, c.spec, state, now);
        decisions[i]!.remaining = remaining;
      }
    }
    return { allowed, decisions };
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
