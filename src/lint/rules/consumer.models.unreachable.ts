import { GiveUp, globSet, intersects } from "../glob-lang.js";
import { routeModels } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";
import { reachableConsumers } from "./consumer.unreachable.js";

export const rule: LintRule = {
  id: "consumer.models.unreachable",
  severity: "warning",
  description: "An entry of a consumer's model allow-list that matches no model any AI route takes.",
  hint: "fix the pattern (a typo?) so it matches a route's `match.model`, or remove it",
  check(ctx: RuleContext) {
    const ai = ctx.snapshot.routes.filter((r) => r.ai);
    const routeSets = ai.map((r) => routeModels(r.source));
    if (routeSets.some((s) => s === undefined)) return; // some AI route takes every model
    const sets = routeSets.map((s) => globSet(s!));
    const reachable = reachableConsumers(ctx.config);
    ctx.config.consumers.forEach((c, i) => {
      if (reachable !== "any" && !reachable.has(c.name)) return; // consumer.unreachable says more
      (c.models ?? []).forEach((glob, j) => {
        const budget = ctx.budget();
        try {
          const mine = globSet([glob]);
          if (sets.some((s) => intersects(mine, s, budget))) return;
        } catch (err) {
          if (err instanceof GiveUp) return;
          throw err;
        }
        ctx.report(
          ["consumers", i, "models", j],
          `consumer ${JSON.stringify(c.name)} may use models ${JSON.stringify(glob)}, but no AI route takes any model matching it`,
        );
      });
    });
  },
};
