import { isPaidAi, members, upstreamMap } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "route.public-ai",
  severity: "warning",
  description: "A route without `auth` that sends to a paid AI upstream: anyone who reaches the gateway spends the provider account.",
  hint: "add `auth: [<provider>]` to the route (a `mock` upstream is exempt: it costs nothing)",
  check(ctx: RuleContext) {
    const upstreams = upstreamMap(ctx.config);
    ctx.config.routes.forEach((route, i) => {
      if ((route.auth ?? []).length > 0) return;
      const paid = members(route).filter((m) => isPaidAi(upstreams.get(m)));
      if (paid.length === 0) return;
      ctx.report(
        ["routes", i, "name"],
        `route ${JSON.stringify(route.name)} has no auth but sends to AI upstream ${JSON.stringify(paid[0])}: anyone who can reach the gateway can use it`,
      );
    });
  },
};
