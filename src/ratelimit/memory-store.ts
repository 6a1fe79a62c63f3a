import type { Clock } from "../deps.js";
import { charge, evaluate, initialState, ttlMs, type CounterState, type Decision, type LimitSpec } from "./algorithms.js";
import { counterScope } from "./policy.js";
import type { CheckOutcome, LimitCheck, RateLimitStore } from "./store.js";

interface Entry {
  state: CounterState;
  expiresAt: number;
  /** When the entry last moved to the recent end of the map. */
  touchedAt: number;
}

export interface MemoryStoreOptions {
  /** Called once per check that found the store full and was counted on its policy's overflow counter (a metric). */
  onOverflow?: (policy: string) => void;
}

/** Recency is kept to this granularity: a busy counter is not re-inserted on every request. */
const TOUCH_MS = 1000;

/** How many of the least recently used counters a full store looks at for an expired one to drop. */
const RECLAIM_SCAN = 8;

/** Suffix of a policy's overflow counter (no key value starts with `!`). */
const OVERFLOW = "!overflow";

/**
 * Counters in process memory (one replica), at most `maxKeys` of them.
 * A live counter is never dropped to make room: one an attacker could
 * otherwise reset by rotating through fresh keys. When the store is full of
 * live counters, a key without a counter is counted on its policy's
 * overflow counter (`<policy>:<hash>:!overflow`, same limit and window),
 * shared by every such key, so a flood of new keys is itself limited while
 * existing counters keep their state; `onOverflow` counts it. Counters
 * whose state is as good as new (expired) are dropped by a sweep every
 * `sweepMs`, and by a full store looking for room.
 */
export class MemoryStore implements RateLimitStore {
  private readonly counters = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private readonly onOverflow: ((policy: string) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
    sweepMs = 10_000,
    options: MemoryStoreOptions = {},
  ) {
    this.onOverflow = options.onOverflow;
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
  }

  /** Drops expired counters among the least recently used few; whether there is room for `wanted` more. */
  private reclaim(now: number, wanted: number): boolean {
    let scanned = 0;
    for (const [key, entry] of this.counters) {
      if (++scanned > RECLAIM_SCAN || this.counters.size + wanted <= this.maxKeys) break;
      if (entry.expiresAt <= now) this.counters.delete(key);
    }
    return this.counters.size + wanted <= this.maxKeys;
  }

  /**
   * The key to count `key` on: its own counter when it has one or there is
   * room for one (`reserved` new ones are already promised in this call),
   * else its policy's overflow counter.
   */
  private slot(key: string, now: number, reserved: number): string {
    if (this.counters.has(key) || this.counters.size + reserved < this.maxKeys || this.reclaim(now, reserved + 1)) return key;
    return counterScope(key).prefix + OVERFLOW;
  }

  check(checks: readonly LimitCheck[]): CheckOutcome {
    return this.checkNow(checks);
  }

  /** Synchronous, hence atomic: nothing else runs between the checks and the charges. */
  checkNow(checks: readonly LimitCheck[]): CheckOutcome {
    const now = this.clock.now();
    const n = checks.length;
    // Sized once (most sets hold one or two checks): `[]` and push would grow each to a default capacity.
    const decisions = new Array<Decision>(n);
    const states = new Array<CounterState>(n);
    const keys = new Array<string>(n);
    let allowed = true;
    let reserved = 0;
    for (let i = 0; i < n; i++) {
      const c = checks[i]!;
      // A key with a counter is counted on it (one lookup, the usual case); else `slot` places it.
      const own = this.counters.get(c.key);
      const key = own !== undefined ? c.key : this.slot(c.key, now, reserved);
      if (own === undefined) {
        if (key === c.key) reserved++;
        else this.onOverflow?.(counterScope(c.key).policy);
      }
      const entry = key === c.key ? own : this.counters.get(key);
      keys[i] = key;
      const current = entry === undefined || entry.expiresAt <= now ? initialState(c.spec, now) : entry.state;
      const { decision, state } = evaluate(c.spec, current, now, c.admit);
      decisions[i] = decision;
      states[i] = state;
      if (!c.shadow && !decision.allowed) allowed = false;
    }
    if (allowed) {
      for (let i = 0; i < n; i++) {
        const c = checks[i]!;
        const { state, remaining } = charge(c.spec, states[i]!, now, c.cost);
        this.save(keys[i]!, c.spec, state, now);
        decisions[i]!.remaining = remaining;
      }
    }
    return { allowed, decisions };
  }

  async adjust(check: Pick<LimitCheck, "key" | "spec">, delta: number): Promise<void> {
    const now = this.clock.now();
    const key = this.slot(check.key, now, 0); // where check() counted it (not counted again)
    const { state } = charge(check.spec, this.load(key, check.spec, now), now, delta);
    this.save(key, check.spec, state, now);
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
