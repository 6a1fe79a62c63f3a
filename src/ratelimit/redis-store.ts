import type { Redis } from "ioredis";
import type { Decision } from "./algorithms.js";
import { ADJUST_SCRIPT, CHECK_SCRIPT } from "./redis-script.js";
import { StoreUnavailableError, type CheckOutcome, type LimitCheck, type RateLimitStore } from "./store.js";

type ScriptedRedis = Redis & {
  aigwCheck(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  aigwAdjust(key: string, ...args: (string | number)[]): Promise<number>;
};

/**
 * Counters in Redis, shared by every replica: one atomic Lua script per
 * request (one round trip), Redis's clock, keys under `keyPrefix` with
 * TTLs. Any Redis error or a reply slower than the client's command timeout
 * surfaces as StoreUnavailableError, for `onError` to decide.
 */
export class RedisStore implements RateLimitStore {
  private readonly redis: ScriptedRedis;

  /** `clock` replaces Redis's clock (tests only: real deployments need one clock for all replicas). */
  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock?: { now(): number },
  ) {
    this.redis = redis as ScriptedRedis;
    if (typeof this.redis.aigwCheck !== "function") {
      redis.defineCommand("aigwCheck", { lua: CHECK_SCRIPT });
      redis.defineCommand("aigwAdjust", { lua: ADJUST_SCRIPT, numberOfKeys: 1 });
    }
  }

  async check(checks: readonly LimitCheck[]): Promise<CheckOutcome> {
    const keys = checks.map((c) => `${this.keyPrefix}rl:${c.key}`);
    const args: (string | number)[] = [this.clock === undefined ? "" : this.clock.now()];
    for (const c of checks) args.push(c.spec.algorithm, c.spec.limit, c.spec.windowMs, c.admit, c.cost, c.shadow ? 1 : 0);
    let reply: number[];
    try {
      reply = await this.redis.aigwCheck(keys.length, ...keys, ...args);
    } catch (err) {
      throw new StoreUnavailableError(`rate-limit store unavailable: ${(err as Error).message}`, { cause: err });
    }
    const decisions: Decision[] = [];
    for (let i = 0; i < checks.length; i++) {
      const o = 1 + i * 4;
      decisions.push({ allowed: reply[o] === 1, remaining: Number(reply[o + 1]), resetMs: Number(reply[o + 2]), retryAfterMs: Number(reply[o + 3]) });
    }
    return { allowed: reply[0] === 1, decisions };
  }

  async adjust(check: Pick<LimitCheck, "key" | "spec">, delta: number): Promise<void> {
    try {
      await this.redis.aigwAdjust(`${this.keyPrefix}rl:${check.key}`, this.clock === undefined ? "" : this.clock.now(), check.spec.algorithm, check.spec.limit, check.spec.windowMs, delta);
    } catch (err) {
      throw new StoreUnavailableError(`rate-limit store unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The Redis client is shared and closed by its owner. */
  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
