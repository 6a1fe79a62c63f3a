import type { Decision } from "./algorithms.js";
import type { RuntimePolicy } from "./policy.js";

export interface Applied {
  policy: RuntimePolicy;
  decision: Decision;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/** `RateLimit-Policy: "name";q=100;w=60, …` (draft-ietf-httpapi-ratelimit-headers). */
function policyHeader(policies: readonly RuntimePolicy[]): string {
  return policies.map((p) => `"${p.policy.name}";q=${p.spec.limit};w=${p.windowSeconds}`).join(", ");
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
 * The headers of an answer (allowed or denied) for one list of policies,
 * over its enforced ones: `RateLimit-Policy`, `RateLimit: "name";r=42;t=12,
 * …` (remaining units and seconds until reset, per policy), and on AI
 * routes the headers OpenAI SDKs read (`x-ratelimit-{limit,remaining,
 * reset}-{requests,tokens}`, from the tightest request policy and the
 * tightest token policy). What depends on the policies alone is worked
 * out once; a request writes from the store's decisions (one per policy,
 * in order).
 */
export class LimitHeaders {
  /** `RateLimit-Policy`; undefined when no policy is enforced (no `RateLimit` either). */
  readonly policy: string | undefined;
  /** Per enforced policy: its index among the decisions, and its `RateLimit` entry up to the remaining count. */
  private readonly state: readonly { readonly at: number; readonly lead: string }[];
  /** Per unit with an enforced policy of that cost (AI routes only): the header names, the candidates' indices and limits as text. */
  private readonly openAi: readonly { readonly names: (typeof OPENAI_NAMES)[keyof typeof OPENAI_NAMES]; readonly at: readonly number[]; readonly limits: readonly string[] }[];

  constructor(policies: readonly RuntimePolicy[], enforced: readonly boolean[], ai: boolean) {
    const applied = policies.map((policy, at) => ({ policy, at })).filter(({ at }) => enforced[at]);
    const header = policyHeader(applied.map(({ policy }) => policy));
    this.policy = header === "" ? undefined : header;
    this.state = applied.map(({ policy, at }, i) => ({ at, lead: `${i === 0 ? "" : ", "}"${policy.policy.name}";r=` }));
    this.openAi = !ai
      ? []
      : UNITS.map((unit) => {
          const candidates = applied.filter(({ policy }) => policy.policy.cost === unit && policy.policy.mode !== "shadow");
          return { names: OPENAI_NAMES[unit], at: candidates.map((c) => c.at), limits: candidates.map((c) => String(c.policy.spec.limit)) };
        }).filter((u) => u.at.length > 0);
  }

  /** Adds the headers for `decisions` to `out`. */
  write(decisions: readonly Decision[], out: Record<string, string>): void {
    if (this.policy !== undefined) {
      out["ratelimit-policy"] = this.policy;
      let state = "";
      for (const { at, lead } of this.state) {
        const d = decisions[at]!;
        state += `${lead}${d.remaining};t=${seconds(d.resetMs)}`;
      }
      out.ratelimit = state;
    }
    for (const unit of this.openAi) {
      // The tightest: the fewest remaining, the first among equals.
      let tightest = 0;
      for (let i = 1; i < unit.at.length; i++) if (decisions[unit.at[i]!]!.remaining < decisions[unit.at[tightest]!]!.remaining) tightest = i;
      const d = decisions[unit.at[tightest]!]!;
      out[unit.names.limit] = unit.limits[tightest]!;
      out[unit.names.remaining] = String(d.remaining);
      out[unit.names.reset] = openAiDuration(d.resetMs);
    }
  }
}

/** Seconds for Retry-After: the longest wait among the policies that denied (at least 1). */
export function retryAfterSeconds(denied: readonly Applied[]): number {
  return Math.max(1, ...denied.map((a) => seconds(a.decision.retryAfterMs)));
}
