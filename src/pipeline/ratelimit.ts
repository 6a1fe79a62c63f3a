import type { Logger } from "pino";
import { HttpError } from "../errors/http.js";
import { openAiHeaders, policyHeader, retryAfterSeconds, stateHeader, type Applied } from "../ratelimit/headers.js";
import { keyValue, type RuntimePolicy } from "../ratelimit/policy.js";
import { StoreUnavailableError, type CheckOutcome, type LimitCheck, type RateLimitStore } from "../ratelimit/store.js";
import type { RequestContext } from "./types.js";
import { estimateTokens, estimateUsage, type Usage } from "../usage/extract.js";
import { Meter } from "./metering.js";
import type { UsageMeter } from "./types.js";
import { readAiBody } from "./body.js";
import type { Handler, StageFactory } from "./types.js";


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
/** The policies one request is checked against, with what can be worked out once. */
interface PolicySet {
  readonly policies: readonly RuntimePolicy[];
  readonly enforced: readonly boolean[];
  /** `RateLimit-Policy` of the enforced policies (it depends on the policies only). */
  readonly policyHeader: string | undefined;
  readonly tokens: boolean;
}

/** One request's token charge: the estimate taken up front, reconciled with the real usage at settlement. */
interface TokenCharge {
  readonly set: PolicySet;
  readonly checks: readonly LimitCheck[];
  readonly estimate: number;
}

function policySet(list: readonly RuntimePolicy[]): PolicySet | null {
  const policies = [...new Set(list)]; // a policy named twice counts once
  if (policies.length === 0) return null;
  const enforced = policies.map((p) => p.policy.mode === "enforce");
  const header = policyHeader(policies.filter((_, i) => enforced[i]).map((policy) => ({ policy, decision: { allowed: true, remaining: 0, resetMs: 0, retryAfterMs: 0 } })));
  return { policies, enforced, policyHeader: header === "" ? undefined : header, tokens: policies.some((p) => p.policy.cost === "tokens") };
}

/**
 * Rate limits (DESIGN.md 5): the route's policies, then the consumer's, then
 * `gateway.rateLimits` (a policy named twice counts once), checked
 * atomically: the first denial wins and nothing is charged for a request
 * another limit rejected. Token policies admit while any token is left,
 * charge an estimate, and are reconciled with the real usage after the
 * response. Allowed responses carry `RateLimit`/`RateLimit-Policy` (and
 * OpenAI's `x-ratelimit-*` on AI routes); denials answer 429 with
 * `Retry-After`. Shadow policies count and report but never deny. The
 * policy lists are worked out per route (and consumer) once; with the
 * in-memory store a request-counted check takes no extra tick.
 */
export const rateLimitStage: StageFactory = {
  name: "rateLimit",
  create(route, resources) {
    const rl = resources.rateLimits;
    const get = (name: string): RuntimePolicy => rl.policies.get(name)!;
    const routePolicies = route.rateLimits.map(get);
    const gatewayPolicies = resources.gatewayRateLimits.map(get);
    const base = policySet([...routePolicies, ...gatewayPolicies]);
    const byConsumer = new Map<string, PolicySet | null>();
    if (route.auth.length > 0) {
      for (const [name, c] of resources.consumers) {
        if (c.rateLimits.length > 0) byConsumer.set(name, policySet([...routePolicies, ...c.rateLimits!.map(get), ...gatewayPolicies]));
      }
    }
    if (base === null && byConsumer.size === 0) return null;
    const hits = resources.metrics.rateLimitHits;
    const log = throttledLogger(resources.logger);
    const routeName = route.name;
    const ai = route.ai;
    const maxBodyBytes = resources.maxBodyBytes;
    const defaultMaxTokens = resources.ai.defaultMaxTokens;
    // A route whose usage stage made no meter (not an AI route) still settles what reached an upstream.
    const estimateUsageOf = (ctx: RequestContext): Usage => estimateUsage(ctx.json, true, defaultMaxTokens);

    const checksOf = (set: PolicySet, ctx: RequestContext, estimate: number): LimitCheck[] =>
      set.policies.map((p) => ({
        key: p.prefix + keyValue(p, ctx, routeName),
        spec: p.spec,
        admit: 1,
        cost: p.policy.cost === "tokens" ? estimate : 1,
        shadow: p.policy.mode === "shadow",
      }));

    /** Store down: `onError` decides. Anything else is a bug and propagates. */
    const storeFailed = (err: unknown): HttpError | null => {
      if (!(err instanceof StoreUnavailableError)) throw err;
      log("*", "store", { error: err.message, onError: rl.onError }, `rate-limit store unavailable: ${rl.onError === "deny" ? "denying" : "allowing"} requests`);
      return rl.onError === "deny" ? new HttpError("rate_limit_unavailable", "rate limits cannot be checked right now", { headers: { "retry-after": "1" } }) : null;
    };

    /** Records the outcome (metrics, headers); the 429 to answer when denied. */
    const apply = (ctx: RequestContext, set: PolicySet, outcome: CheckOutcome): HttpError | null => {
      const enforced: Applied[] = [];
      for (let i = 0; i < set.policies.length; i++) {
        const policy = set.policies[i]!;
        const decision = outcome.decisions[i]!;
        if (!decision.allowed) {
          hits.inc({ policy: policy.policy.name, mode: policy.policy.mode });
          if (!set.enforced[i]) log(policy.policy.name, "shadow", { route: routeName }, `rate limit ${policy.policy.name} would have limited this request (shadow mode)`);
        }
        if (set.enforced[i]) enforced.push({ policy, decision });
      }
      const headers: Record<string, string> = set.policyHeader === undefined ? {} : { "ratelimit-policy": set.policyHeader, ratelimit: stateHeader(enforced) };
      if (ai) openAiHeaders(enforced, headers);
      ctx.extraHeaders = ctx.extraHeaders === null ? headers : Object.assign(ctx.extraHeaders, headers);
      if (outcome.allowed) return null;
      const denied = enforced.filter((a) => !a.decision.allowed);
      const first = denied[0]!;
      return new HttpError("rate_limit_exceeded", `rate limit ${first.policy.policy.name} exceeded: ${first.policy.spec.limit} ${first.policy.policy.cost} per ${first.policy.windowSeconds}s`, {
        type: first.policy.policy.cost,
        headers: { ...headers, "retry-after": String(retryAfterSeconds(denied)) },
      });
    };

    // Reconcile the estimate with the request's one settlement: what every
    // exchange that reached an upstream used (nothing, a refund, when none did).
    const reconcile = async (charge: TokenCharge, actual: number): Promise<void> => {
      const delta = actual - charge.estimate;
      if (delta === 0) return;
      await Promise.all(
        charge.set.policies.map((p, i) =>
          p.policy.cost !== "tokens"
            ? undefined
            : rl.store.adjust(charge.checks[i]!, delta).catch((err: Error) => log(p.policy.name, "adjust", { error: err.message }, "could not reconcile token usage")),
        ),
      );
    };
    const settleTokens = (charge: TokenCharge, _ctx: RequestContext, meter: UsageMeter): Promise<void> => {
      const used = meter.exchanges > 0 ? meter.total : null;
      return reconcile(charge, used === null ? 0 : used.inputTokens + used.outputTokens);
    };

    /** Token-metered: charge an estimate from the body, reconcile with the settled usage. */
    const withTokens = async (ctx: RequestContext, next: Handler, set: PolicySet): Promise<void> => {
      const estimate = estimateTokens(await readAiBody(ctx, maxBodyBytes));
      const checks = checksOf(set, ctx, estimate);
      let outcome: CheckOutcome;
      try {
        outcome = await rl.store.check(checks);
      } catch (err) {
        const denial = storeFailed(err);
        if (denial !== null) throw denial;
        return next(ctx);
      }
      const denial = apply(ctx, set, outcome);
      if (denial !== null) throw denial;
      const charge: TokenCharge = { set, checks, estimate };
      // Bound, not a closure kept on the context (see docs/architecture.md, "Hot-path rules").
      (ctx.meter ??= new Meter(estimateUsageOf)).onSettle(settleTokens.bind(null, charge));
      return next(ctx);
    };

    const afterCheck = (ctx: RequestContext, next: Handler, set: PolicySet, outcome: CheckOutcome): Promise<void> => {
      const denial = apply(ctx, set, outcome);
      return denial === null ? next(ctx) : Promise.reject(denial);
    };
    const afterFailure = (ctx: RequestContext, next: Handler, err: unknown): Promise<void> => {
      let denial: HttpError | null;
      try {
        denial = storeFailed(err);
      } catch (bug) {
        return Promise.reject(bug);
      }
      return denial === null ? next(ctx) : Promise.reject(denial);
    };

    return (ctx, next) => {
      const set = ctx.consumer === null ? base : byConsumer.has(ctx.consumer.name) ? byConsumer.get(ctx.consumer.name)! : base;
      if (set === null) return next(ctx);
      if (set.tokens) return withTokens(ctx, next, set);
      let outcome: CheckOutcome | Promise<CheckOutcome>;
      try {
        outcome = rl.store.check(checksOf(set, ctx, 0));
      } catch (err) {
        return afterFailure(ctx, next, err);
      }
      if (outcome instanceof Promise) {
        return outcome.then(
          (o) => afterCheck(ctx, next, set, o),
          (err: unknown) => afterFailure(ctx, next, err),
        );
      }
      return afterCheck(ctx, next, set, outcome);
    };
  },
};
