import type { Logger } from "pino";
import { HttpError } from "../errors/http.js";
import type { Decision } from "../ratelimit/algorithms.js";
import { openAiHeaders, policyHeader, retryAfterSeconds, stateHeader, type Applied } from "../ratelimit/headers.js";
import { keyValue, type RuntimePolicy } from "../ratelimit/policy.js";
import { StoreUnavailableError, type LimitCheck, type RateLimitStore } from "../ratelimit/store.js";
import { estimateTokens } from "../usage/extract.js";
import { readAiBody } from "./body.js";
import type { StageFactory } from "./order.js";

/** What the rate-limit stage of a generation shares. */
export interface RateLimitResources {
  readonly store: RateLimitStore;
  readonly onError: "allow" | "deny";
  readonly policies: ReadonlyMap<string, RuntimePolicy>;
}

/** At most one log line per policy and reason every 10 s. */
function throttledLogger(logger: Logger): (policy: string, reason: string, fields: Record<string, unknown>, msg: string) => void {
  const last = new Map<string, number>();
  return (policy, reason, fields, msg) => {
    const key = `${policy}\u0000${reason}`;
    const now = Date.now();
    if ((last.get(key) ?? 0) + 10_000 > now) return;
    last.set(key, now);
    logger.warn({ policy, ...fields }, msg);
  };
}

/**
 * Rate limits (DESIGN.md 5): the route's policies, then the consumer's, then
 * `gateway.rateLimits` (a policy named twice counts once), checked
 * atomically: the first denial wins and nothing is charged for a request
 * another limit rejected. Token policies admit while any token is left,
 * charge an estimate, and are reconciled with the real usage after the
 * response. Allowed responses carry `RateLimit`/`RateLimit-Policy` (and
 * OpenAI's `x-ratelimit-*` on AI routes); denials answer 429 with
 * `Retry-After`. Shadow policies count and report but never deny.
 */
export const rateLimitStage: StageFactory = {
  name: "rateLimit",
  create(route, resources) {
    const rl = resources.rateLimits;
    const get = (name: string): RuntimePolicy => rl.policies.get(name)!;
    const routePolicies = route.rateLimits.map(get);
    const gatewayPolicies = resources.gatewayRateLimits.map(get);
    const byConsumer = new Map<string, RuntimePolicy[]>();
    if (route.auth.length > 0) for (const [name, c] of resources.consumers) if ((c.rateLimits ?? []).length > 0) byConsumer.set(name, c.rateLimits!.map(get));
    if (routePolicies.length === 0 && gatewayPolicies.length === 0 && byConsumer.size === 0) return null;
    const hits = resources.metrics.rateLimitHits;
    const log = throttledLogger(resources.logger);
    const routeName = route.name;
    const ai = route.ai;
    const withTokens = (list: RuntimePolicy[]) => list.some((p) => p.policy.cost === "tokens");

    return async (ctx, next) => {
      const consumerPolicies = ctx.consumer === null ? undefined : byConsumer.get(ctx.consumer.name);
      let policies = consumerPolicies === undefined ? [...routePolicies, ...gatewayPolicies] : [...routePolicies, ...consumerPolicies, ...gatewayPolicies];
      if (consumerPolicies !== undefined || (routePolicies.length > 0 && gatewayPolicies.length > 0)) policies = [...new Set(policies)];
      if (policies.length === 0) return next(ctx);
      const tokens = withTokens(policies);
      const estimate = tokens ? estimateTokens(await readAiBody(ctx, resources.maxBodyBytes)) : 0;
      const checks: LimitCheck[] = policies.map((p) => ({
        key: p.prefix + keyValue(p, ctx, routeName),
        spec: p.spec,
        admit: 1,
        cost: p.policy.cost === "tokens" ? estimate : 1,
        shadow: p.policy.mode === "shadow",
      }));

      let decisions: Decision[];
      let allowed: boolean;
      try {
        ({ decisions, allowed } = await rl.store.check(checks));
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        log("*", "store", { error: err.message, onError: rl.onError }, `rate-limit store unavailable: ${rl.onError === "deny" ? "denying" : "allowing"} requests`);
        if (rl.onError === "deny") throw new HttpError("rate_limit_unavailable", "rate limits cannot be checked right now", { headers: { "retry-after": "1" } });
        return next(ctx);
      }

      const applied: Applied[] = policies.map((policy, i) => ({ policy, decision: decisions[i]! }));
      for (const a of applied) {
        if (a.decision.allowed) continue;
        hits.inc({ policy: a.policy.policy.name, mode: a.policy.policy.mode });
        if (a.policy.policy.mode === "shadow") log(a.policy.policy.name, "shadow", { route: routeName }, `rate limit ${a.policy.policy.name} would have limited this request (shadow mode)`);
      }
      const enforced = applied.filter((a) => a.policy.policy.mode === "enforce");
      const headers: Record<string, string> = enforced.length === 0 ? {} : { "ratelimit-policy": policyHeader(enforced), ratelimit: stateHeader(enforced) };
      if (ai) openAiHeaders(enforced, headers);
      ctx.extraHeaders = ctx.extraHeaders === null ? headers : Object.assign(ctx.extraHeaders, headers);

      if (!allowed) {
        const denied = enforced.filter((a) => !a.decision.allowed);
        const first = denied[0]!;
        throw new HttpError("rate_limit_exceeded", `rate limit ${first.policy.policy.name} exceeded: ${first.policy.spec.limit} ${first.policy.policy.cost} per ${first.policy.windowSeconds}s`, {
          type: first.policy.policy.cost,
          headers: { ...headers, "retry-after": String(retryAfterSeconds(denied)) },
        });
      }

      if (!tokens) return next(ctx);
      ctx.captureUsage = true;
      let reconciled = false;
      // Reconcile the estimate with the real usage: before the response ends
      // when the upstream answered, else (it failed before answering) refund.
      const reconcile = async (actual: number): Promise<void> => {
        if (reconciled) return;
        reconciled = true;
        const delta = actual - estimate;
        if (delta === 0) return;
        await Promise.all(
          policies.map((p, i) =>
            p.policy.cost !== "tokens"
              ? undefined
              : rl.store.adjust(checks[i]!, delta).catch((err: Error) => log(p.policy.name, "adjust", { error: err.message }, "could not reconcile token usage")),
          ),
        );
      };
      const previous = ctx.beforeResponseEnd;
      ctx.beforeResponseEnd = async () => {
        await previous?.();
        await reconcile(ctx.usage === null ? estimate : ctx.usage.inputTokens + ctx.usage.outputTokens);
      };
      try {
        await next(ctx);
      } finally {
        if (!reconciled) void reconcile(ctx.res.headersSent ? estimate : 0);
      }
    };
  },
};
