import type { JsonObject } from "./compare.js";
import type { ChangeKind, DiffEntry } from "./diff.js";
import { assessAuthProvider, assessConsumer, assessPlugin, assessPricing, assessRateLimit, assessSection } from "./risk-objects.js";
import { assessRoute, assessUpstream } from "./risk-routes.js";
import { Assessment, riskContext, type RiskContext } from "./risk-context.js";

/**
 * Risk of each change (DESIGN.md 7) and its consequences in words.
 *
 * high: a route loses its auth, or a removed route's traffic falls through
 * to a public route, or a public route takes traffic an authenticated one
 * had; a route's match widened (more methods, path → pathPrefix, a shorter
 * prefix, a host/header/model condition removed or broadened); an upstream
 * removed while a route that used it still exists; a rate limit or budget
 * raised more than 10×, removed, or put in shadow mode; a guard plugin
 * (`ip-allow`, `ip-deny`, `required-headers`) removed.
 * medium: targets, weights or type of an upstream; a route's upstream,
 * split or fallback; a match that moves; admin auth removed.
 * low: everything else.
 */
type Rule = (ctx: RiskContext, entry: DiffEntry, out: Assessment) => void;

const RULES: Record<ChangeKind, Rule> = {
  route: assessRoute,
  upstream: assessUpstream,
  auth: assessAuthProvider,
  consumer: assessConsumer,
  rateLimit: assessRateLimit,
  plugin: assessPlugin,
  pricing: assessPricing,
  server: assessSection,
};

/** Sets each entry's risk; returns the consequence notes of each, in entry order. */
export function assessRisk(oldConfig: JsonObject, newConfig: JsonObject, entries: readonly DiffEntry[]): string[][] {
  const ctx = riskContext(oldConfig, newConfig, entries);
  return entries.map((entry) => {
    const out = new Assessment();
    RULES[entry.change.kind](ctx, entry, out);
    entry.change.risk = out.risk;
    return out.notes;
  });
}
