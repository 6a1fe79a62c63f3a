import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "auth.unused",
  severity: "warning",
  description: "An auth provider that no route names in `auth`.",
  hint: "remove the provider, or name it in the `auth` of the routes it should protect",
  check(ctx: RuleContext) {
    const used = new Set(ctx.config.routes.flatMap((r) => r.auth ?? []));
    ctx.config.auth.forEach((a, i) => {
      if (!used.has(a.name)) ctx.report(["auth", i, "name"], `auth provider ${JSON.stringify(a.name)} is not used by any route`);
    });
  },
};
