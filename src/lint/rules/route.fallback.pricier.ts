import type { Price, Upstream } from "../../config/types.js";
import { compileGlobs } from "../../compile/router/glob.js";
import { primaries, priceOf, routeModels, unitCost, upstreamMap } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

/** Prices (input + output per 1M tokens) of an upstream's listed models that `accept` lets through; undefined when any is unknown. */
function costs(u: Upstream | undefined, pricing: readonly Price[], accept: (model: string) => boolean): number[] | undefined {
  const models = (u?.models ?? []).filter(accept);
  if (models.length === 0) return undefined;
  const out: number[] = [];
  for (const m of models) {
    const p = priceOf(m, pricing);
    if (p === undefined) return undefined;
    out.push(unitCost(p));
  }
  return out;
}

/**
 * A fallback is pricier when its cheapest listed model costs more per token
 * than the most expensive model the route's own upstreams serve for it.
 * Needs `models` on the upstreams and prices for them; otherwise silent.
 */
export const rule: LintRule = {
  id: "route.fallback.pricier",
  severity: "warning",
  description: "A fallback to an upstream whose every model costs more per token than what the route's own upstream serves.",
  hint: "fall back to a model of similar price, or accept the cost knowingly and turn the rule off for this file",
  check(ctx: RuleContext) {
    const pricing = ctx.config.pricing;
    const upstreams = upstreamMap(ctx.config);
    ctx.config.routes.forEach((route, i) => {
      if ((route.fallback ?? []).length === 0) return;
      const globs = routeModels(route);
      const takes = globs === undefined ? () => true : (m: string) => compileGlobs(globs).test(m);
      const own: number[] = [];
      for (const name of primaries(route)) {
        const c = costs(upstreams.get(name), pricing, takes);
        if (c === undefined) return;
        own.push(...c);
      }
      const ceiling = Math.max(...own);
      (route.fallback ?? []).forEach((name, j) => {
        const c = costs(upstreams.get(name), pricing, () => true);
        if (c === undefined) return;
        const floor = Math.min(...c);
        if (floor <= ceiling) return;
        const factor = ceiling === 0 ? "" : ` (${Number((floor / ceiling).toFixed(1))}× per token at least)`;
        ctx.report(
          ["routes", i, "fallback", j],
          `route ${JSON.stringify(route.name)} falls back to ${JSON.stringify(name)}, whose models all cost more than its own${factor}: an outage raises the bill`,
        );
      });
    });
  },
};
