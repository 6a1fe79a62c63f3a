import type { LintRule, RuleContext } from "../rule.js";

const EMBEDDINGS = "/v1/embeddings";

/**
 * Without `cache.force`, only deterministic requests are cached (temperature
 * 0 and n ≤ 1; embeddings always). A cache on a route that takes chat or
 * other generation requests then misses every sampled or streamed request.
 */
export const rule: LintRule = {
  id: "route.cache.nondeterministic",
  severity: "info",
  description: "A cache without `cache.force` on a route that takes generation requests: those with temperature > 0, n > 1 or streaming are never cached.",
  hint: "send temperature 0 for cacheable requests, set `cache.force: true` if reusing sampled answers is acceptable, or remove the cache",
  check(ctx: RuleContext) {
    for (const route of ctx.snapshot.routes) {
      if (route.cache === null || route.cache.force) continue;
      if (route.path === EMBEDDINGS) continue; // embeddings are deterministic
      ctx.report(
        ["routes", route.index, "cache"],
        `route ${JSON.stringify(route.name)} caches without \`force\`: requests with temperature > 0, n > 1 or streaming are never cached`,
        { key: true },
      );
    }
  },
};
