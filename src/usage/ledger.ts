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

const ZERO: UsageTotals = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** One calendar period's totals, by consumer. */
interface PeriodTotals {
  readonly start: number;
  readonly end: number;
  readonly byConsumer: Map<string, UsageTotals>;
}

/**
 * Usage in process memory (one replica). Totals are kept per period (the
 * current day, the current month), by consumer name, so adding is two
 * lookups and no key to build; a period's totals are dropped whole once
 * it has ended (the first add or read in a later period does it).
 */
export class MemoryLedger implements UsageLedger, SharedResource {
  /** The periods not yet ended, per kind: usually one (two after the clock stepped back across a boundary). */
  private readonly periods: Record<Period, PeriodTotals[]> = { day: [], month: [] };

  constructor(private readonly clock: Clock) {}

  /** Consumer entries held, over every period kept (bounded by consumers × live periods). */
  get size(): number {
    let n = 0;
    for (const list of Object.values(this.periods)) for (const p of list) n += p.byConsumer.size;
    return n;
  }

  /** The totals of the period `now` falls in (made when `create`), ended periods dropped on the way. */
  private periodAt(period: Period, now: number, create: boolean): PeriodTotals | undefined {
    const list = this.periods[period];
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (now >= p.start && now < p.end) return p;
    }
    // `now` left every period kept: those that ended are of no more use.
    if (list.length > 0) this.periods[period] = list.filter((p) => p.end > now);
    if (!create) return undefined;
    const p: PeriodTotals = { start: periodStart(period, now), end: periodEnd(period, now), byConsumer: new Map() };
    this.periods[period].push(p);
    return p;
  }

  add(consumer: string, period: Period, delta: UsageTotals): void {
    const byConsumer = this.periodAt(period, this.clock.now(), true)!.byConsumer;
    const totals = byConsumer.get(consumer);
    if (totals === undefined) {
      byConsumer.set(consumer, { ...delta });
      return;
    }
    totals.requests += delta.requests;
    totals.inputTokens += delta.inputTokens;
    totals.outputTokens += delta.outputTokens;
    totals.costUsd += delta.costUsd;
  }

  async get(consumer: string, period: Period): Promise<UsageTotals> {
    return { ...(this.periodAt(period, this.clock.now(), false)?.byConsumer.get(consumer) ?? ZERO) };
  }

  async close(): Promise<void> {}
  async destroy(): Promise<void> {
    this.periods.day = [];
    this.periods.month = [];
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
