import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/ratelimit/algorithms.js";
import { LimitHeaders, openAiDuration } from "../../src/ratelimit/headers.js";
import { runtimePolicy } from "../../src/ratelimit/policy.js";
import type { CompiledPolicy } from "../../src/compile/snapshot.js";

function policy(name: string, limit: number, windowMs: number, cost: "requests" | "tokens" = "requests", mode: "enforce" | "shadow" = "enforce") {
  const compiled: CompiledPolicy = { name, algorithm: "token_bucket", limit, windowMs, key: "consumer", cost, mode };
  return runtimePolicy(compiled);
}

const decision = (remaining: number, resetMs: number, allowed = true): Decision => ({ allowed, remaining, resetMs, retryAfterMs: allowed ? 0 : 1000 });

function headersOf(h: LimitHeaders, decisions: Decision[]): Record<string, string> {
  const out: Record<string, string> = {};
  h.write(decisions, out);
  return out;
}

describe("the rate-limit headers of an answer", () => {
  it("name every enforced policy in order, and the tightest of each unit for OpenAI's headers", () => {
    const policies = [policy("rpm", 60, 60_000), policy("burst", 10, 1_000), policy("tpm", 100_000, 60_000, "tokens"), policy("try", 5, 1_000, "requests", "shadow")];
    const h = new LimitHeaders(policies, [true, true, true, false], true);
    expect(h.policy).toBe('"rpm";q=60;w=60, "burst";q=10;w=1, "tpm";q=100000;w=60');
    expect(headersOf(h, [decision(41, 19_500), decision(3, 700), decision(99_000, 600), decision(0, 1_000, false)])).toEqual({
      "ratelimit-policy": '"rpm";q=60;w=60, "burst";q=10;w=1, "tpm";q=100000;w=60',
      ratelimit: '"rpm";r=41;t=20, "burst";r=3;t=1, "tpm";r=99000;t=1',
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "3",
      "x-ratelimit-reset-requests": "700ms",
      "x-ratelimit-limit-tokens": "100000",
      "x-ratelimit-remaining-tokens": "99000",
      "x-ratelimit-reset-tokens": "600ms",
    });
  });

  it("take the first of equally tight policies", () => {
    const h = new LimitHeaders([policy("a", 100, 60_000), policy("b", 50, 1_000)], [true, true], true);
    const out = headersOf(h, [decision(7, 90_000), decision(7, 1_000)]);
    expect(out["x-ratelimit-limit-requests"]).toBe("100");
    expect(out["x-ratelimit-reset-requests"]).toBe("1m30s");
  });

  it("leave OpenAI's headers off routes that are not AI routes", () => {
    const h = new LimitHeaders([policy("rpm", 60, 60_000)], [true], false);
    expect(headersOf(h, [decision(59, 1_000)])).toEqual({ "ratelimit-policy": '"rpm";q=60;w=60', ratelimit: '"rpm";r=59;t=1' });
  });

  it("write nothing when every policy is in shadow mode", () => {
    const h = new LimitHeaders([policy("try", 5, 1_000, "requests", "shadow")], [false], true);
    expect(h.policy).toBeUndefined();
    expect(headersOf(h, [decision(0, 1_000, false)])).toEqual({});
  });

  it("write OpenAI's reset as milliseconds, tenths of seconds, or minutes and seconds", () => {
    expect([openAiDuration(0), openAiDuration(120.4), openAiDuration(1_840), openAiDuration(360_000)]).toEqual(["0ms", "120ms", "1.8s", "6m0s"]);
  });
});
