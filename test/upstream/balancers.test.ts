import { describe, expect, it } from "vitest";
import { leastConnections, p2cEwma, roundRobin, weighted, type Balanced } from "../../src/upstream/balancers/balancer.js";
import { CircuitBreaker } from "../../src/upstream/breaker.js";
import { RetryBudget } from "../../src/upstream/retry-budget.js";

type T = Balanced & { id: string };
const target = (id: string, weight = 1): T => ({ id, weight, inFlight: 0, ewmaMs: 0, currentWeight: 0 });

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("balancers", () => {
  it("round robin alternates within ±1 over 40 requests", () => {
    const targets = [target("a"), target("b"), target("c")];
    const pick = roundRobin<T>();
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const t = pick(targets).id;
      counts[t] = (counts[t] ?? 0) + 1;
    }
    const values = Object.values(counts);
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
  });

  it("weighted 3:1 interleaves (no run longer than 3) and holds the ratio within 5% over 400", () => {
    const targets = [target("a", 3), target("b", 1)];
    const pick = weighted<T>();
    const seq = Array.from({ length: 400 }, () => pick(targets).id);
    let run = 1;
    let longest = 1;
    for (let i = 1; i < seq.length; i++) {
      run = seq[i] === seq[i - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(3);
    const a = seq.filter((x) => x === "a").length;
    expect(Math.abs(a / 400 - 0.75)).toBeLessThanOrEqual(0.05);
    expect(seq.slice(0, 8).join("")).toBe("aabaaaba"); // nginx's smooth sequence for 3:1
  });

  it("least connections sends new requests to the target with fewer in flight", () => {
    const targets = [target("a"), target("b"), target("c")];
    targets[0]!.inFlight = 5;
    targets[1]!.inFlight = 1;
    targets[2]!.inFlight = 3;
    const pick = leastConnections<T>();
    expect(pick(targets).id).toBe("b");
    targets[1]!.inFlight = 9;
    expect(pick(targets).id).toBe("c");
  });

  it("p2c_ewma shifts traffic away from a target made 10× slower", () => {
    const fast = target("fast");
    const slow = target("slow");
    fast.ewmaMs = 5;
    slow.ewmaMs = 50;
    const pick = p2cEwma<T>(seeded(7));
    const counts = { fast: 0, slow: 0 };
    for (let i = 0; i < 1000; i++) counts[pick([fast, slow]).id as "fast" | "slow"]++;
    expect(counts.fast).toBeGreaterThan(900);
    // With three targets, the slow one is chosen only when drawn against... never as the better of two.
    const third = target("other");
    third.ewmaMs = 6;
    const c3 = { fast: 0, slow: 0, other: 0 };
    for (let i = 0; i < 3000; i++) c3[pick([fast, slow, third]).id as "fast" | "slow" | "other"]++;
    expect(c3.slow).toBe(0);
    expect(c3.fast).toBeGreaterThan(c3.other);
  });
});

describe("circuit breaker", () => {
  it("opens at the failure ratio, half-opens after openMs, closes after successful probes", () => {
    let now = 0;
    const states: string[] = [];
    const b = new CircuitBreaker({ failureRatio: 0.5, minRequests: 4, windowMs: 10_000, openMs: 1000, halfOpenRequests: 2 }, { now: () => now, monotonic: () => now }, (s) => states.push(s));
    b.record(true);
    b.record(false);
    b.record(true);
    expect(b.state).toBe("closed"); // 3 < minRequests
    b.record(false);
    expect(b.state).toBe("open"); // 2/4 failures
    expect(b.tryAcquire()).toBe(false);
    now += 1000;
    expect(b.state).toBe("half_open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // two probes only
    b.record(true);
    b.record(true);
    expect(b.state).toBe("closed");
    expect(states).toEqual(["open", "half_open", "closed"]);
  });

  it("goes back to open when a probe fails, and forgets failures older than the window", () => {
    let now = 0;
    const b = new CircuitBreaker({ failureRatio: 0.5, minRequests: 2, windowMs: 1000, openMs: 500, halfOpenRequests: 1 }, { now: () => now, monotonic: () => now });
    b.record(false);
    now += 2000;
    b.record(true);
    b.record(true);
    expect(b.state).toBe("closed"); // the old failure left the window
    b.record(false);
    b.record(false);
    expect(b.state).toBe("open");
    now += 500;
    expect(b.tryAcquire()).toBe(true);
    b.record(false);
    expect(b.state).toBe("open");
  });
});

describe("retry budget", () => {
  it("never allows more retries than the ratio of requests", () => {
    let now = 1_000_000;
    const budget = new RetryBudget(0.2, { now: () => now, monotonic: () => now });
    let retries = 0;
    for (let i = 0; i < 100; i++) {
      budget.recordRequest();
      while (budget.tryRetry()) retries++;
      now += 37;
    }
    expect(retries).toBeLessThanOrEqual(20);
    expect(retries).toBeGreaterThanOrEqual(19);
  });
});
