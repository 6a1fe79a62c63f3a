import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Algorithm } from "../../src/ratelimit/algorithms.js";
import { MemoryStore } from "../../src/ratelimit/memory-store.js";
import { RedisStore } from "../../src/ratelimit/redis-store.js";
import type { LimitCheck } from "../../src/ratelimit/store.js";
import { RedisServer } from "../helpers/redis.js";

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await new RedisServer().start();
  client = new Redis(server.url);
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

/** The same timeline through the in-memory store and the Lua script must agree step by step. */
async function both(algorithm: Algorithm, limit: number, windowMs: number, steps: [number, number, number][]): Promise<void> {
  const start = 1_700_000_020_000;
  let now = start;
  const clock = { now: () => now, monotonic: () => now };
  const memory = new MemoryStore(clock);
  const redis = new RedisStore(client, `parity:${algorithm}:${Math.random()}:`, clock);
  for (const [at, admit, cost] of steps) {
    now = start + at;
    const check: LimitCheck = { key: "k", spec: { algorithm, limit, windowMs }, admit, cost, shadow: false };
    const m = memory.checkNow([check]);
    const r = await redis.check([check]);
    expect({ at, ...r.decisions[0], allowed: r.allowed }).toEqual({ at, ...m.decisions[0], allowed: m.allowed });
  }
  await memory.close();
}

const timeline = (): [number, number, number][] => {
  const out: [number, number, number][] = [];
  let t = 0;
  for (let i = 0; i < 120; i++) {
    t += [0, 0, 5, 37, 120, 333, 999, 1500][i % 8]!;
    out.push([t, 1, i % 5 === 4 ? 3 : 1]);
  }
  return out;
};

describe("the Lua script matches the in-memory algorithms", () => {
  it.each<Algorithm>(["token_bucket", "leaky_bucket", "sliding_window", "fixed_window"])("%s", async (algorithm) => {
    await both(algorithm, 7, 2000, timeline());
  });

  it("reconciles (adjust) the same way", async () => {
    let now = 1_700_000_020_000;
    const clock = { now: () => now, monotonic: () => now };
    const memory = new MemoryStore(clock);
    const redis = new RedisStore(client, `parity:adjust:${Math.random()}:`, clock);
    const check: LimitCheck = { key: "k", spec: { algorithm: "sliding_window", limit: 1000, windowMs: 60_000 }, admit: 1, cost: 100, shadow: false };
    memory.checkNow([check]);
    await redis.check([check]);
    await memory.adjust(check, 450);
    await redis.adjust(check, 450);
    now += 30_000;
    const probe = { ...check, cost: 0 };
    expect((await redis.check([probe])).decisions[0]).toEqual(memory.checkNow([probe]).decisions[0]);
    await memory.close();
  });
});
