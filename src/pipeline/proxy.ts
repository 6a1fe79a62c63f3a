import type { CompiledRoute } from "../compile/route.js";
import type { RequestResources, Run } from "./types.js";
import { dropSet } from "./forward.js";
import { responseCopy } from "./respond-upstream.js";
import { dialectsFor } from "./ai/dialects.js";
import { chooseUpstream } from "./split.js";
import { ProxyRun, type ChainStart, type ProxyPlan, type UpstreamPlan } from "./proxy-run.js";

/**
 * The terminal stage: send the request to the route's upstream and stream
 * the answer back. On failure it retries (per the upstream's `retries`:
 * another target preferred, non-idempotent methods only on connect errors,
 * a first-byte timeout only for idempotent ones, never beyond the retry
 * budget (refused connections excepted: they reached no upstream), never
 * after anything was sent to the client), then tries the
 * route's `fallback` upstreams in order (on connect errors, timeouts,
 * resets, 5xx, a 429 from the upstream, or no target available).
 */
export function createProxy(route: CompiledRoute, resources: RequestResources): Run {
  const drop = dropSet(route, resources);
  const copy = responseCopy(route, resources.plugins?.responseStrips(route, resources) ?? []);
  const firsts = [route.upstream, ...(route.split ?? []).map((s) => s.upstream)];
  const plans = new Map<string, UpstreamPlan>();
  for (const name of [...firsts, ...route.fallback]) {
    if (name === null || plans.has(name)) continue;
    const def = resources.upstreams.get(name)!.definition;
    plans.set(name, { dialects: dialectsFor(route, resources, drop, def, copy), retryOn: new Set<string | number>(def.retries.on) });
  }
  // The tightest of the route's and the upstream's time limits applies.
  const starts = new Map<string, ChainStart>();
  for (const name of firsts) {
    if (name === null || starts.has(name)) continue;
    const limits = [route.timeoutMs ?? resources.requestTimeoutMs, resources.upstreams.get(name)!.definition.timeouts.requestMs].filter((ms) => ms > 0);
    const chain = [name, ...route.fallback];
    starts.set(name, { chain, timeoutMs: limits.length === 0 ? 0 : Math.min(...limits), mocked: chain.some((n) => resources.upstreams.get(n)!.mock !== null) });
  }
  // Connect errors are retried without buffering (the body is read only once
  // a target accepted the connection); a fallback, or retries on timeouts,
  // resets or statuses, may need to send a body that was already read.
  const mayReplay =
    route.fallback.length > 0 ||
    firsts.some((n) => {
      if (n === null) return false;
      const r = resources.upstreams.get(n)!.definition.retries;
      return r.attempts > 0 && r.on.some((c) => c !== "connect_error");
    });
  const proxy: ProxyPlan = { route, resources, plans, mayReplay };
  return (ctx, done) => {
    let start: ChainStart;
    try {
      start = starts.get(chooseUpstream(route, ctx, resources.random))!;
    } catch (err) {
      done(err);
      return;
    }
    new ProxyRun(ctx, proxy, start, done).start();
  };
}

