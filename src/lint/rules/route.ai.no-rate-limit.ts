import type { GatewayConfig, Route } from "../../config/types.js";
import { enforcing } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * Whether every caller a route can authenticate gets a consumer with an
 * enforcing policy: an API key's consumer (or the provider's
 * `defaultConsumer` when it names no declared consumer); for jwt and oidc
 * any subject, so every declared consumer and the `defaultConsumer`.
 */
function everyCallerLimited(config: GatewayConfig, route: Route): boolean {
  const auth = route.auth ?? [];
  if (auth.length === 0) return false;
  const consumers = new Map(config.consumers.map((c) => [c.name, c]));
  const limited = (name: string | undefined): boolean =>
    name !== undefined && enforcing(config, consumers.get(name)?.rateLimits ?? []).length > 0;
  const providers = new Map(config.auth.map((p) => [p.name, p]));
  return auth.every((name) => {
    const p = providers.get(name);
    if (p === undefined) return false;
    if (p.type === "apiKey") return p.keys.every((k) => limited(consumers.has(k.consumer) ? k.consumer : p.defaultConsumer));
    return limited(p.defaultConsumer) && [...consumers.keys()].every(limited);
  });
}

export const rule: LintRule = {
  id: "route.ai.no-rate-limit",
  severity: "warning",
  description: "An AI route that no enforcing rate-limit policy covers (route, gateway, or a consumer policy for every caller).",
  hint: "add a policy to the route's `rateLimits` or to `gateway.rateLimits` (policies in `mode: shadow` never reject)",
  check(ctx: RuleContext) {
    const config = ctx.config;
    const gateway = enforcing(config, config.gateway.rateLimits);
    for (const route of ctx.snapshot.routes) {
      if (!route.ai) continue;
      if (gateway.length > 0 || enforcing(config, route.rateLimits).length > 0) continue;
      if (everyCallerLimited(config, route.source)) continue;
      ctx.report(
        ["routes", route.index, "name"],
        `AI route ${JSON.stringify(route.name)} has no rate limit: neither the route nor \`gateway.rateLimits\` applies an enforcing policy, and not every caller has a consumer policy`,
      );
    }
  },
};
