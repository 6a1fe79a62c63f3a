import { members } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "upstream.unused",
  severity: "warning",
  description: "An upstream no route sends to (as `upstream`, a `split` member or a `fallback`).",
  hint: "remove the upstream, or route to it",
  check(ctx: RuleContext) {
    const used = new Set(ctx.config.routes.flatMap(members));
    ctx.config.upstreams.forEach((u, i) => {
      if (!used.has(u.name)) ctx.report(["upstreams", i, "name"], `upstream ${JSON.stringify(u.name)} is not used by any route`);
    });
  },
};
