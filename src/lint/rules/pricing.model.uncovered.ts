import type { Path } from "../../config/pointer.js";
import { coveredByUnion, GiveUp, globSet } from "../glob-lang.js";
import { isPaidAi, members, priceOf, routeModels, upstreamMap } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * Every model a paid AI route can take must have a price, or its cost is
 * never counted and budgets do not hold: each glob of a route's
 * `match.model` must be covered by the union of the `pricing` globs, and each
 * model an upstream lists must match one.
 */
export const rule: LintRule = {
  id: "pricing.model.uncovered",
  severity: "warning",
  description: "A model pattern of a route, or a model an upstream lists, that no `pricing` entry covers: its cost is not counted and budgets miss it.",
  hint: "add a `pricing` entry whose `model` glob covers it (a family-wide entry such as `gpt-*` prices any model without its own)",
  check(ctx: RuleContext) {
    const config = ctx.config;
    const pricing = config.pricing;
    const priceSets = pricing.map((p) => globSet([p.model]));
    const upstreams = upstreamMap(config);
    const used = new Set<string>();
    config.routes.forEach((route, i) => {
      const paid = members(route).filter((m) => isPaidAi(upstreams.get(m)));
      if (paid.length === 0) return;
      for (const m of paid) used.add(m);
      const globs = routeModels(route);
      if (globs === undefined) return;
      globs.forEach((glob, j) => {
        const path: Path = Array.isArray(route.match.model) ? ["routes", i, "match", "model", j] : ["routes", i, "match", "model"];
        try {
          if (coveredByUnion(globSet([glob]), priceSets, ctx.budget())) return;
        } catch (err) {
          if (err instanceof GiveUp) return;
          throw err;
        }
        ctx.report(path, `route ${JSON.stringify(route.name)} takes models ${JSON.stringify(glob)}, but no pricing entry covers all of them`);
      });
    });
    config.upstreams.forEach((u, i) => {
      if (!used.has(u.name)) return;
      (u.models ?? []).forEach((model, j) => {
        if (priceOf(model, pricing) === undefined) {
          ctx.report(["upstreams", i, "models", j], `upstream ${JSON.stringify(u.name)} serves model ${JSON.stringify(model)}, which has no pricing entry`);
        }
      });
    });
  },
};
