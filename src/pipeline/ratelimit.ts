import type { Logger } from "pino";
import { HttpError } from "../errors/http.js";
import { LimitHeaders, retryAfterSeconds, type Applied } from "../ratelimit/headers.js";
import { keyValue, type RuntimePolicy } from "../ratelimit/policy.js";
import { StoreUnavailableError, type CheckOutcome, type LimitCheck } from "../ratelimit/store.js";
import type { RequestContext } from "./types.js";
import { estimateTokens, estimateUsage, type Usage } from "../usage/extract.js";
import { Meter } from "./metering.js";
import type { UsageMeter } from "./types.js";
import { readAiBody } from "./body.js";
import { policiesFor } from "./route-decision.js";
import type { Done, RequestResources, Run, StageFactory } from "./types.js";
import type { CompiledRoute } from "../compile/route.js";
import type { Clock } from "../deps.js";


/** At most one log line per policy and reason every 10 s (by the gateway's clock). */
function throttledLogger(logger: Logger, clock: Clock): (policy: string, reason: string, fields: Record<string, unknown>, msg: string) => void {
  const last = new Map<string, number>();
  return (policy, reason, fields, msg) => {
    const key = `${policy}\u0000${reason}`;
    const now = clock.now();
    if ((last.get(key) ?? 0) + 10_000 > now) return;
    last.set(key, now);
    logger.warn({ policy, ...fields }, msg);
  };
}

/** The policies one request is checked against, with what can be worked out once. */
interface PolicySet {
  readonly policies: readonly RuntimePolicy[];
  readonly enforced: readonly boolean[];
  /** The headers of an answer, from the decisions (what depends on the policies alone is worked out once). */
  readonly headers: LimitHeaders;
  readonly tokens: boolean;
  /** Per policy, its counter's store key when the request does not change it (route, global, a declared consumer's own set), else null. */
  readonly keys: readonly (string | null)[];
  /** The checks of a request-counted set whose keys are all fixed: made once, shared by its requests (a store never changes a check). */
  readonly fixedChecks: readonly LimitCheck[] | null;
}

/** One request's token charge: the estimate taken up front, reconciled with the real usage at settlement. */
interface TokenCharge {
  readonly set: PolicySet;
  readonly checks: readonly LimitCheck[];
  readonly estimate: number;
}

/** The key value of `p` when no request fact changes it: its route, global, or the consumer the set is for. */
function fixedKey(p: RuntimePolicy, consumer: string | null, routeName: string): string | null {
  const kind = p.policy.key;
  if (kind !== "route" && kind !== "global" && !(kind === "consumer" && consumer !== null)) return null;
  return p.prefix + keyValue(p, { req: { headers: {} }, consumer: consumer === null ? null : { name: consumer }, identity: null, clientIp: "" }, routeName);
}

/** `consumer`: the declared consumer the set is for (its requests all carry it), null for the route's base set. */
function policySet(list: readonly RuntimePolicy[], consumer: string | null, route: CompiledRoute): PolicySet | null {
  const routeName = route.name;
  const policies = [...new Set(list)]; // a policy named twice counts once
  if (policies.length === 0) return null;
  const enforced = policies.map((p) => p.policy.mode === "enforce");
  const tokens = policies.some((p) => p.policy.cost === "tokens");
  const keys = policies.map((p) => fixedKey(p, consumer, routeName));
  const fixedChecks =
    tokens || keys.some((k) => k === null)
      ? null
      : Object.freeze(policies.map((p, i) => Object.freeze({ key: keys[i]!, spec: p.spec, admit: 1, cost: 1, shadow: p.policy.mode === "shadow" })));
  return {
    policies,
    enforced,
    headers: new LimitHeaders(policies, enforced, route.ai),
    tokens,
    keys,
    fixedChecks,
  };
}

/**
 * Rate limits (DESIGN.md 5): the route's policies, then the consumer's, then
 * `gateway.rateLimits` (a policy named twice counts once), checked
 * atomically: the first denial wins and nothing is charged for a request
 * another limit rejected. Token policies admit while any token is left,
 * charge an estimate, and are reconciled with the request's one usage
 * settlement. Allowed responses carry `RateLimit`/`RateLimit-Policy` (and
 * OpenAI's `x-ratelimit-*` on AI routes); denials answer 429 with
 * `Retry-After`. Shadow policies count and report but never deny. The
 * policy lists are worked out per route (and consumer) once; with the
 * in-memory store a request-counted check takes no extra tick.
 */
class RouteRateLimits {
  private readonly log: ReturnType<typeof throttledLogger>;
  private readonly estimateUsageOf: (ctx: RequestContext) => Usage;

  constructor(
    private readonly route: CompiledRoute,
    private readonly resources: RequestResources,
    private readonly base: PolicySet | null,
    private readonly byConsumer: ReadonlyMap<string, PolicySet | null>,
  ) {
    this.log = throttledLogger(resources.logger, resources.clock);
    const defaultMaxTokens = resources.ai.defaultMaxTokens;
    // A route whose usage stage made no meter (not an AI route) still settles what reached an upstream.
    this.estimateUsageOf = (ctx) => estimateUsage(ctx.json, true, defaultMaxTokens);
  }

  /** The stage: the request's policy set checked, then the rest of the chain (in the same tick when the store answers synchronously). */
  readonly run = (ctx: RequestContext, next: Run, done: Done): void => {
    const set = ctx.consumer === null ? this.base : this.byConsumer.has(ctx.consumer.name) ? this.byConsumer.get(ctx.consumer.name)! : this.base;
    if (set === null) {
      next(ctx, done);
      return;
    }
    if (set.tokens) {
      this.chargeTokens(ctx, set)
        .then(() => next(ctx, done))
        .catch(done);
      return;
    }
    let outcome: CheckOutcome | Promise<CheckOutcome>;
    try {
      outcome = this.resources.rateLimits.store.check(set.fixedChecks ?? this.checksOf(set, ctx, 0));
    } catch (err) {
      this.afterFailure(ctx, next, done, err);
      return;
    }
    if (outcome instanceof Promise) {
      outcome
        .then(
          (o) => this.afterCheck(ctx, next, done, set, o),
          (err: unknown) => this.afterFailure(ctx, next, done, err),
        )
        .catch(done);
      return;
    }
    this.afterCheck(ctx, next, done, set, outcome);
  };

  private checksOf(set: PolicySet, ctx: RequestContext, estimate: number): LimitCheck[] {
    return set.policies.map((p, i) => ({
      key: set.keys[i] ?? p.prefix + keyValue(p, ctx, this.route.name),
      spec: p.spec,
      admit: 1,
      cost: p.policy.cost === "tokens" ? estimate : 1,
      shadow: p.policy.mode === "shadow",
    }));
  }

  /** Store down: `onError` decides. Anything else is a bug and propagates. */
  private storeFailed(err: unknown): HttpError | null {
    if (!(err instanceof StoreUnavailableError)) throw err;
    const onError = this.resources.rateLimits.onError;
    this.log("*", "store", { error: err.message, onError }, `rate-limit store unavailable: ${onError === "deny" ? "denying" : "allowing"} requests`);
    return onError === "deny" ? new HttpError("rate_limit_unavailable", "rate limits cannot be checked right now", { headers: { "retry-after": "1" } }) : null;
  }

  /** Records the outcome (metrics, headers); the 429 to answer when denied. */
  private apply(ctx: RequestContext, set: PolicySet, outcome: CheckOutcome): HttpError | null {
    const decisions = outcome.decisions;
    for (let i = 0; i < set.policies.length; i++) {
      if (decisions[i]!.allowed) continue;
      const policy = set.policies[i]!;
      this.resources.metrics.rateLimitHits.inc({ policy: policy.policy.name, mode: policy.policy.mode });
      if (!set.enforced[i]) this.log(policy.policy.name, "shadow", { route: this.route.name }, `rate limit ${policy.policy.name} would have limited this request (shadow mode)`);
    }
    const headers: Record<string, string> = ctx.extraHeaders ?? {};
    set.headers.write(decisions, headers);
    ctx.extraHeaders = headers;
    if (outcome.allowed) return null;
    const denied: Applied[] = [];
    for (let i = 0; i < set.policies.length; i++) if (set.enforced[i] && !decisions[i]!.allowed) denied.push({ policy: set.policies[i]!, decision: decisions[i]! });
    const first = denied[0]!;
    return new HttpError("rate_limit_exceeded", `rate limit ${first.policy.policy.name} exceeded: ${first.policy.spec.limit} ${first.policy.policy.cost} per ${first.policy.windowSeconds}s`, {
      type: first.policy.policy.cost,
      headers: { ...headers, "retry-after": String(retryAfterSeconds(denied)) },
    });
  }

  /** Token-metered: charge an estimate from the body (rejects with the 429), reconciled with the request's settlement. */
  private async chargeTokens(ctx: RequestContext, set: PolicySet): Promise<void> {
    const estimate = estimateTokens(await readAiBody(ctx, this.resources.maxBodyBytes));
    const checks = this.checksOf(set, ctx, estimate);
    let outcome: CheckOutcome;
    try {
      outcome = await this.resources.rateLimits.store.check(checks);
    } catch (err) {
      const denial = this.storeFailed(err);
      if (denial !== null) throw denial;
      return;
    }
    const denial = this.apply(ctx, set, outcome);
    if (denial !== null) throw denial;
    const charge: TokenCharge = { set, checks, estimate };
    // Bound, not a closure kept on the context (see docs/architecture.md, "Hot-path rules").
    (ctx.meter ??= new Meter(this.estimateUsageOf)).onSettle(this.settleTokens.bind(this, charge));
  }

  /** The estimate reconciled with what every exchange that reached an upstream used (nothing, a refund, when none did). */
  private async settleTokens(charge: TokenCharge, _ctx: RequestContext, meter: UsageMeter): Promise<void> {
    const used = meter.exchanges > 0 ? meter.total : null;
    const delta = (used === null ? 0 : used.inputTokens + used.outputTokens) - charge.estimate;
    if (delta === 0) return;
    const store = this.resources.rateLimits.store;
    await Promise.all(
      charge.set.policies.map((p, i) =>
        p.policy.cost !== "tokens" ? undefined : store.adjust(charge.checks[i]!, delta).catch((err: Error) => this.log(p.policy.name, "adjust", { error: err.message }, "could not reconcile token usage")),
      ),
    );
  }

  private afterCheck(ctx: RequestContext, next: Run, done: Done, set: PolicySet, outcome: CheckOutcome): void {
    const denial = this.apply(ctx, set, outcome);
    if (denial === null) next(ctx, done);
    else done(denial);
  }

  /** Store down: `onError` decides (a bug propagates). */
  private afterFailure(ctx: RequestContext, next: Run, done: Done, err: unknown): void {
    const denial = this.storeFailed(err);
    if (denial === null) next(ctx, done);
    else done(denial);
  }
}

export const rateLimitStage: StageFactory = {
  name: "rateLimit",
  create(route, resources) {
    const get = (name: string): RuntimePolicy => resources.rateLimits.policies.get(name)!;
    // The same order and de-duplication explain shows (route-decision.ts).
    const base = policySet(policiesFor(route, null, resources.gatewayRateLimits).map(get), null, route);
    const byConsumer = new Map<string, PolicySet | null>();
    if (route.auth.length > 0) {
      for (const [name, c] of resources.consumers) {
        if (c.rateLimits.length > 0) byConsumer.set(name, policySet(policiesFor(route, c, resources.gatewayRateLimits).map(get), name, route));
      }
    }
    if (base === null && byConsumer.size === 0) return null;
    return { run: new RouteRateLimits(route, resources, base, byConsumer).run };
  },
};
