import type { Redis } from "ioredis";
import type { Clock } from "../deps.js";
import type { SharedResource } from "../lifecycle/registry.js";
import { periodEnd, periodStart, type Period } from "./period.js";

/** A consumer's usage in one period. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface UsageLedger {
  /** Adds to a consumer's totals; the in-memory ledger does it at once (no promise). */
  add(consumer: string, period: Period, delta: UsageTotals): Promise<void> | void;
  get(consumer: string, period: Period): Promise<UsageTotals>;
}

const SWEEP_FLOOR = 10_000;

const ZERO: UsageTotals = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** Usage in process memory (one replica); a period's totals vanish after it ends. */
export class MemoryLedger implements UsageLedger, SharedResource {
  private readonly totals = new Map<string, { totals: UsageTotals; expiresAt: number }>();
  /** The size above which the next add sweeps out ended periods (doubles after a sweep, so adds stay O(1) amortised). */
  private sweepAbove = SWEEP_FLOOR;

  constructor(private readonly clock: Clock) {}

  private key(consumer: string, period: Period, now: number): string {
    return `${period}:${this.startOf(period, now)}:${consumer}`;
  }

  /** The current day's and month's start and end, worked out again only when `now` leaves them. */
  private readonly spans: Record<Period, { start: number; end: number }> = { day: { start: 0, end: 0 }, month: { start: 0, end: 0 } };

  private startOf(period: Period, now: number): number {
    const span = this.spans[period];
    if (now < span.start || now >= span.end) {
      span.start = periodStart(period, now);
      span.end = periodEnd(period, now);
    }
    return span.start;
  }

  add(consumer: string, period: Period, delta: UsageTotals): void {
    const now = this.clock.now();
    const key = this.key(consumer, period, now);
    const entry = this.totals.get(key) ?? { totals: { ...ZERO }, expiresAt: periodEnd(period, now) };
    entry.totals.requests += delta.requests;
    entry.totals.inputTokens += delta.inputTokens;
    entry.totals.outputTokens += delta.outputTokens;
    entry.totals.costUsd += delta.costUsd;
    this.totals.set(key, entry);
    if (this.totals.size > this.sweepAbove) {
      for (const [k, e] of this.totals) if (e.expiresAt <= now) this.totals.delete(k);
      this.sweepAbove = Math.max(SWEEP_FLOOR, this.totals.size * 2);
    }
  }

  async get(consumer: string, period: Period): Promise<UsageTotals> {
    return { ...(this.totals.get(this.key(consumer, period, this.clock.now()))?.totals ?? ZERO) };
  }

  async close(): Promise<void> {}
  async destroy(): Promise<void> {
    this.totals.clear();
  }
}

const ADD = `
redis.call('HINCRBY', KEYS[1], 'requests', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'inputTokens', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'outputTokens', ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[1], 'costUsd', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1
`;

type LedgerRedis = Redis & { aigwUsageAdd(key: string, ...args: (string | number)[]): Promise<number> };

/**
 * Usage in Redis, shared by every replica: one hash per consumer and period
 * under `keyPrefix`, updated atomically in one round trip, expiring a day
 * after the period ends.
 */
export class RedisLedger implements UsageLedger {
  private readonly redis: LedgerRedis;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock: Clock,
  ) {
    this.redis = redis as LedgerRedis;
    if (typeof this.redis.aigwUsageAdd !== "function") redis.defineCommand("aigwUsageAdd", { lua: ADD, numberOfKeys: 1 });
  }

  private key(consumer: string, period: Period, now: number): string {
    return `${this.keyPrefix}usage:${period}:${periodStart(period, now)}:${consumer}`;
  }

  async add(consumer: string, period: Period, delta: UsageTotals): Promise<void> {
    const now = this.clock.now();
    await this.redis.aigwUsageAdd(this.key(consumer, period, now), delta.requests, delta.inputTokens, delta.outputTokens, delta.costUsd.toFixed(12), periodEnd(period, now) + 86_400_000);
  }

  async get(consumer: string, period: Period): Promise<UsageTotals> {
    const h = await this.redis.hgetall(this.key(consumer, period, this.clock.now()));
    return { requests: Number(h.requests ?? 0), inputTokens: Number(h.inputTokens ?? 0), outputTokens: Number(h.outputTokens ?? 0), costUsd: Number(h.costUsd ?? 0) };
  }
}
