import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "rate-limit.unused",
  severity: "warning",
  description: "A rate-limit policy that no route, consumer or `gateway.rateLimits` applies.",
  hint: "remove the policy, or name it in a route's, a consumer's or gateway `rateLimits`",
  check(ctx: RuleContext) {
    const c = ctx.config;
    const used = new Set([
      ...c.routes.flatMap((r) => r.rateLimits),
      ...c.consumers.flatMap((x) => x.rateLimits),
      ...(c.gateway.rateLimits),
    ]);
    c.rateLimits.forEach((p, i) => {
      if (!used.has(p.name)) ctx.report(["rateLimits", i, "name"], `rate-limit policy ${JSON.stringify(p.name)} is not applied anywhere`);
    });
  },
};
