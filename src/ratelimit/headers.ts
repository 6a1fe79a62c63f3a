import type { Decision } from "./algorithms.js";
import type { RuntimePolicy } from "./policy.js";

export interface Applied {
  policy: RuntimePolicy;
  decision: Decision;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/** `RateLimit-Policy: "name";q=100;w=60, …` (draft-ietf-httpapi-ratelimit-headers). */
export function policyHeader(applied: readonly Applied[]): string {
  return applied.map((a) => `"${a.policy.policy.name}";q=${a.policy.spec.limit};w=${a.policy.windowSeconds}`).join(", ");
}

/** `RateLimit: "name";r=42;t=12, …`: remaining units and seconds until reset, per policy. */
export function stateHeader(applied: readonly Applied[]): string {
  let out = "";
  for (let i = 0; i < applied.length; i++) {
    const a = applied[i]!;
    out += `${i === 0 ? "" : ", "}"${a.policy.policy.name}";r=${a.decision.remaining};t=${seconds(a.decision.resetMs)}`;
  }
  return out;
}

/** OpenAI's reset format: `120ms`, `1.8s`, `6m0s`. */
export function openAiDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const total = ms / 1000;
  if (total < 60) return `${Math.round(total * 10) / 10}s`;
  const m = Math.floor(total / 60);
  return `${m}m${Math.round(total - m * 60)}s`;
}

const UNITS = ["requests", "tokens"] as const;

/** The header names, written out (names built per request would be new strings to look up every time). */
const OPENAI_NAMES = {
  requests: { limit: "x-ratelimit-limit-requests", remaining: "x-ratelimit-remaining-requests", reset: "x-ratelimit-reset-requests" },
  tokens: { limit: "x-ratelimit-limit-tokens", remaining: "x-ratelimit-remaining-tokens", reset: "x-ratelimit-reset-tokens" },
} as const;

/**
 * The headers OpenAI SDKs read (`x-ratelimit-{limit,remaining,reset}-
 * {requests,tokens}`), from the tightest request policy and the tightest
 * token policy that applied.
 */
export function openAiHeaders(applied: readonly Applied[], out: Record<string, string>): void {
  for (const unit of UNITS) {
    let tightest: Applied | undefined;
    for (const a of applied) {
      if (a.policy.policy.cost !== unit || a.policy.policy.mode === "shadow") continue;
      if (tightest === undefined || a.decision.remaining < tightest.decision.remaining) tightest = a;
    }
    if (tightest === undefined) continue;
    const names = OPENAI_NAMES[unit];
    out[names.limit] = String(tightest.policy.spec.limit);
    out[names.remaining] = String(tightest.decision.remaining);
    out[names.reset] = openAiDuration(tightest.decision.resetMs);
  }
}

/** Seconds for Retry-After: the longest wait among the policies that denied (at least 1). */
export function retryAfterSeconds(denied: readonly Applied[]): number {
  return Math.max(1, ...denied.map((a) => seconds(a.decision.retryAfterMs)));
}
