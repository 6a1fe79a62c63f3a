import { effectiveTargets } from "../../config/kinds.js";
import type { Upstream } from "../../config/types.js";
import { primaries, upstreamMap } from "../facts.js";
import type { LintRule, RuleContext } from "../rule.js";

/** An upstream's targets as comparable URLs; undefined when one is not known (an unset `${VAR}`). */
function targetsOf(u: Upstream | undefined): Set<string> | undefined {
  if (u === undefined) return undefined;
  const out = new Set<string>();
  for (const t of effectiveTargets(u)) {
    try {
      const url = new URL(t.url);
      out.add(`${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`);
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * Fallback names upstreams, never the same one twice (validate checks), but
 * two upstream names can point at the same hosts: a fallback whose targets
 * were all tried already loops back to what just failed.
 */
export const rule: LintRule = {
  id: "route.fallback.cycle",
  severity: "warning",
  description: "A fallback whose targets were all tried already (the same hosts under another upstream name): it loops back to what just failed.",
  hint: "fall back to an upstream on other hosts, or remove the entry",
  check(ctx: RuleContext) {
    const upstreams = upstreamMap(ctx.config);
    ctx.config.routes.forEach((route, i) => {
      const tried = new Map<string, string>();
      for (const name of primaries(route)) for (const t of targetsOf(upstreams.get(name)) ?? []) tried.set(t, name);
      (route.fallback ?? []).forEach((name, j) => {
        const targets = targetsOf(upstreams.get(name));
        if (targets === undefined || targets.size === 0) return;
        const earlier = [...targets].map((t) => tried.get(t));
        if (earlier.every((e) => e !== undefined)) {
          const via = [...new Set(earlier as string[])];
          ctx.report(
            ["routes", i, "fallback", j],
            `route ${JSON.stringify(route.name)} falls back to ${JSON.stringify(name)}, whose targets are the same as ${via.map((v) => JSON.stringify(v)).join(" and ")}'s: the fallback retries the hosts that just failed`,
          );
        }
        for (const t of targets) if (!tried.has(t)) tried.set(t, name);
      });
    });
  },
};
