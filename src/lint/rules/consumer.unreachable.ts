import type { GatewayConfig } from "../../config/types.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * The consumers some route's auth can map a caller to: an API key's
 * consumer, a provider's `defaultConsumer` when some caller can fall back to
 * it, and for jwt/oidc providers any name (the consumer claim is free).
 * Returns "any" when every declared consumer is reachable.
 */
export function reachableConsumers(config: GatewayConfig): Set<string> | "any" {
  const used = new Set(config.routes.flatMap((r) => r.auth ?? []));
  const declared = new Set(config.consumers.map((c) => c.name));
  const out = new Set<string>();
  for (const p of config.auth) {
    if (!used.has(p.name)) continue;
    if (p.type !== "apiKey") return "any";
    for (const k of p.keys) {
      if (declared.has(k.consumer)) out.add(k.consumer);
      else if (p.defaultConsumer !== undefined) out.add(p.defaultConsumer);
    }
  }
  return out;
}

export const rule: LintRule = {
  id: "consumer.unreachable",
  severity: "warning",
  description: "A consumer no route's auth can identify, so its scopes, model allow-list, rate limits and budget never apply.",
  hint: "name the consumer in an API key of a provider that routes use (or as a provider's `defaultConsumer`), or remove it",
  check(ctx: RuleContext) {
    const reachable = reachableConsumers(ctx.config);
    if (reachable === "any") return;
    ctx.config.consumers.forEach((c, i) => {
      if (reachable.has(c.name)) return;
      ctx.report(
        ["consumers", i, "name"],
        `consumer ${JSON.stringify(c.name)} is never identified: no auth provider used by a route maps a caller to it, so its policies never apply`,
      );
    });
  },
};
