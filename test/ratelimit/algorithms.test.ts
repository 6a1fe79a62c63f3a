import { describe, expect, it } from "vitest";
import type { Algorithm } from "../../src/ratelimit/algorithms.js";
import { MemoryStore } from "../../src/ratelimit/memory-store.js";

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, monotonic: () => t, set: (v: number) => void (t = v), advance: (ms: number) => void (t += ms), get t() { return t; } };
}

/**
 * Runs a timeline against a fresh store: each step is [ms since start, cost]
 * and yields whether it was allowed.
 */
function run(algorithm: Algorithm, limit: number, windowMs: number, steps: [number, number?][], start = 1_700_000_020_000): boolean[] {
  const clock = fakeClock(start);
  const store = new MemoryStore(clock);
  const out: boolean[] = [];
  for (const [at, cost = 1] of steps) {
    clock.set(start + at);
    out.push(store.checkNow([{ key: "k", spec: { algorithm, limit, windowMs }, admit: cost, cost, shadow: false }]).allowed);
  }
  void store.close();
  return out;
}

const burst = (n: number, at = 0): [number][] => Array.from({ length: n }, () => [at]);

describe("token_bucket", () => {
  it("allows a burst up to the limit, then refills at limit/window", () => {
    expect(run("token_bucket", 5, 1000, [...burst(6), [199], [200], [200], [400]])).toEqual([true, true, true, true, true, false, false, true, false, true]);
  });
  it("admits a steady rate at exactly limit/window forever", () => {
    const steps: [number][] = Array.from({ length: 50 }, (_, i) => [i * 100]);
    expect(run("token_bucket", 10, 1000, [...burst(10), ...steps.map(([t]) => [t + 100] as [number])]).slice(10).every(Boolean)).toBe(true);
  });
  it("charges costs larger than one and refuses what does not fit", () => {
    expect(run("token_bucket", 10, 1000, [[0, 7], [0, 4], [0, 3], [300, 3]])).toEqual([true, false, true, true]);
  });
});

describe("leaky_bucket (meter)", () => {
  it("rejects what would overflow and drains at limit/window", () => {
    expect(run("leaky_bucket", 3, 3000, [...burst(4), [999], [1000], [1500], [2000]])).toEqual([true, true, true, false, false, true, false, true]);
  });
  it("never queues: a rejected request leaves the level unchanged", () => {
    expect(run("leaky_bucket", 2, 1000, [...burst(2), ...burst(5, 10), [500]])).toEqual([true, true, false, false, false, false, false, true]);
  });
});

describe("fixed_window", () => {
  it("counts per window aligned to the epoch", () => {
    // start is 40 s into a minute-aligned window of 60 s: the window turns at +20 s.
    expect(run("fixed_window", 3, 60_000, [...burst(4), [19_999], [20_000], [20_001], [20_002], [20_003]])).toEqual([true, true, true, false, false, true, true, true, false]);
  });
  it("allows a full limit on each side of a window edge (the known fixed-window burst)", () => {
    expect(run("fixed_window", 2, 60_000, [...burst(2, 19_999), ...burst(2, 20_000)])).toEqual([true, true, true, true]);
  });
});

describe("sliding_window (weighted two-window counter)", () => {
  it("weights the previous window by the share still inside the sliding window", () => {
    // 10 in the first window (aligned at -40 s..+20 s); at +35 s, 75% of that window is past:
    // estimate = 10 × 0.75 + current. Limit 10 → 2 more fit (7.5 + 2 = 9.5 < 10, third would be 10.5).
    const steps: [number][] = [...burst(10, 0), [35_000], [35_000], [35_000]];
    expect(run("sliding_window", 10, 60_000, steps)).toEqual([...Array(10).fill(true), true, true, false]);
  });
  it("does not allow the double burst at a window edge that fixed windows allow", () => {
    expect(run("sliding_window", 2, 60_000, [...burst(2, 19_999), ...burst(2, 20_000)])).toEqual([true, true, false, false]);
  });
  it("forgets everything after two windows", () => {
    expect(run("sliding_window", 1, 1000, [[0], [1], [2500]])).toEqual([true, false, true]);
  });
});

describe("the store across policies", () => {
  it("charges nothing when another policy denies the request", () => {
    const clock = fakeClock();
    const store = new MemoryStore(clock);
    const small = { key: "small", spec: { algorithm: "fixed_window" as const, limit: 1, windowMs: 60_000 }, admit: 1, cost: 1, shadow: false };
    const big = { key: "big", spec: { algorithm: "fixed_window" as const, limit: 100, windowMs: 60_000 }, admit: 1, cost: 1, shadow: false };
    expect(store.checkNow([small, big]).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect(store.checkNow([small, big]).allowed).toBe(false);
    const after = store.checkNow([big]);
    expect(after.decisions[0]!.remaining).toBe(98); // 100 - the first request - this one: the 5 denied were never charged
  });

  it("never denies for a shadow policy, and still counts it", () => {
    const store = new MemoryStore(fakeClock());
    const shadow = { key: "s", spec: { algorithm: "fixed_window" as const, limit: 1, windowMs: 60_000 }, admit: 1, cost: 1, shadow: true };
    expect(store.checkNow([shadow]).allowed).toBe(true);
    const second = store.checkNow([shadow]);
    expect(second.allowed).toBe(true);
    expect(second.decisions[0]!.allowed).toBe(false);
  });

  it("reconciles a token estimate up and down", async () => {
    const clock = fakeClock();
    const store = new MemoryStore(clock);
    const tpm = { key: "t", spec: { algorithm: "sliding_window" as const, limit: 1000, windowMs: 60_000 }, admit: 1, cost: 100, shadow: false };
    store.checkNow([tpm]);
    await store.adjust(tpm, 850); // the real usage was 950
    expect(store.checkNow([{ ...tpm, cost: 0 }]).decisions[0]!.remaining).toBe(50);
    await store.adjust(tpm, -900);
    expect(store.checkNow([{ ...tpm, cost: 0 }]).decisions[0]!.remaining).toBe(950);
  });

  it("keeps live counters beyond maxKeys (new keys share the policy's overflow counter) and drops expired ones", () => {
    const clock = fakeClock();
    const store = new MemoryStore(clock, 3);
    const check = (k: string) => ({ key: `p:0000beef:h:${k}`, spec: { algorithm: "fixed_window" as const, limit: 1, windowMs: 1000 }, admit: 1, cost: 1, shadow: false });
    for (const k of ["a", "b", "c"]) expect(store.checkNow([check(k)]).allowed).toBe(true);
    expect(store.checkNow([check("d")]).allowed).toBe(true); // on the overflow counter
    expect(store.checkNow([check("e")]).allowed).toBe(false); // the overflow counter is spent
    expect(store.checkNow([check("a")]).allowed).toBe(false); // a's counter survived
    expect(store.size).toBe(4); // three counters and the overflow one
    clock.advance(2_001);
    expect(store.checkNow([check("e")]).allowed).toBe(true); // an expired counter made room
    expect(store.checkNow([check("e")]).allowed).toBe(false); // and e has a counter of its own
  });
});
