import { isPlainObject, valuesEqual, type JsonObject } from "./compare.js";
import type { DiffEntry } from "./diff.js";
import { compareRates, effectiveRates, priceRatio, upstreamPrice } from "./limits.js";
import { compareMatch, describeMatch, precedence, routesOverlapping } from "./match.js";
import { Assessment, destinationOf, isPublic, names, renamed, routesUsingUpstream, strings, type RiskContext } from "./risk-context.js";

/** Plugins whose removal lets more traffic through: removing one widens the route. */
export const GUARD_PLUGINS: Record<string, string> = {
  "ip-allow": "any client IP is accepted",
  "ip-deny": "denied IP ranges are accepted",
  "required-headers": "requests without the required headers are accepted",
};

function authText(route: JsonObject): string {
  const auth = strings(route.auth);
  return auth.length === 0 ? "public" : `auth ${auth.join(", ")}`;
}

function pluginNames(route: JsonObject | undefined): string[] {
  return Array.isArray(route?.plugins) ? route.plugins.map((p) => String(isPlainObject(p) ? p.name : p)) : [];
}

/** A route's upstreams in the old config, named as in the new one. */
function mapUpstreams(ctx: RiskContext, route: JsonObject): JsonObject {
  const up = (n: unknown): unknown => (typeof n === "string" ? renamed(ctx, "upstream", n) : n);
  return {
    ...route,
    upstream: up(route.upstream),
    split: Array.isArray(route.split) ? route.split.map((s) => (isPlainObject(s) ? { ...s, upstream: up(s.upstream) } : s)) : route.split,
    fallback: Array.isArray(route.fallback) ? route.fallback.map(up) : route.fallback,
  };
}

function priceNote(ctx: RiskContext, route: JsonObject, base: string | undefined, other: string): string {
  if (base === undefined) return "";
  const upstreams = ctx.after.get("upstream")!;
  const model = isPlainObject(route.match) ? route.match.model : undefined;
  const ratio = priceRatio(upstreamPrice(ctx.new, upstreams, base, model), upstreamPrice(ctx.new, upstreams, other, model));
  return ratio === "" ? "" : `, ${ratio}`;
}

function assessDestination(ctx: RiskContext, name: string, a: JsonObject, b: JsonObject, out: Assessment): void {
  const mapped = mapUpstreams(ctx, a);
  const [da, db] = [destinationOf(mapped), destinationOf(b)];
  if (destinationOf(a) !== da && da === db) out.note(`route ${name}: upstream ${destinationOf(a)} renamed to ${db} (same pool)`);
  if (da !== db) {
    const weightsOnly =
      Array.isArray(mapped.split) && Array.isArray(b.split) && valuesEqual(mapped.split.map((s) => (s as JsonObject).upstream).sort(), b.split.map((s) => (s as JsonObject).upstream).sort());
    const price = typeof mapped.upstream === "string" && typeof b.upstream === "string" ? priceNote(ctx, b, mapped.upstream, b.upstream) : "";
    out.note(weightsOnly ? `route ${name}: split weights ${da} → ${db}` : `route ${name}: traffic moves from ${da} to ${db}${price}`, "medium");
  }
  const fa = strings(mapped.fallback);
  const fb = strings(b.fallback);
  const primary = typeof b.upstream === "string" ? b.upstream : undefined;
  for (const f of fb.filter((x) => !fa.includes(x))) out.note(`route ${name}: new fallback ${f}${priceNote(ctx, b, primary, f)}`, "medium");
  for (const f of fa.filter((x) => !fb.includes(x))) out.note(`route ${name}: fallback ${f} removed`, "medium");
  const common = fb.filter((x) => fa.includes(x));
  if (common.join() !== fa.filter((x) => fb.includes(x)).join()) out.note(`route ${name}: fallback order ${fa.join(", ")} → ${fb.join(", ")}`, "medium");
}

function assessAuth(name: string, a: JsonObject, b: JsonObject, out: Assessment): void {
  const aa = strings(a.auth);
  const ba = strings(b.auth);
  if (aa.length > 0 && ba.length === 0) out.note(`route ${name} made public: auth ${aa.join(", ")} removed`, "high");
  else if (aa.length === 0 && ba.length > 0) out.note(`route ${name} now requires auth (${ba.join(", ")}): callers without credentials get 401`);
  else {
    for (const p of ba.filter((x) => !aa.includes(x))) out.note(`route ${name}: also accepts callers of ${p}`);
    for (const p of aa.filter((x) => !ba.includes(x))) out.note(`route ${name}: no longer accepts callers of ${p}`);
  }
  const sa = strings(a.scopes);
  const sb = strings(b.scopes);
  for (const s of sa.filter((x) => !sb.includes(x))) out.note(`route ${name}: no longer requires scope ${s}`);
  for (const s of sb.filter((x) => !sa.includes(x))) out.note(`route ${name}: now requires scope ${s}`);
}

function assessRouteChange(ctx: RiskContext, name: string, a: JsonObject, b: JsonObject, out: Assessment): void {
  assessAuth(name, a, b, out);
  for (const m of compareMatch(a.match, b.match)) {
    if (m.verdict === "widened") out.note(`route ${name} widened: ${m.text}`, "high");
    else if (m.verdict === "changed") out.note(`route ${name} matches other traffic: ${m.text}`, "medium");
    else out.note(`route ${name} narrowed: ${m.text}`);
  }
  assessDestination(ctx, name, a, b, out);
  if (!valuesEqual(a.rateLimits, b.rateLimits, "rateLimits")) {
    const delta = compareRates(
      `route ${name}`,
      effectiveRates(ctx.before.get("rateLimit")!, a.rateLimits),
      effectiveRates(ctx.after.get("rateLimit")!, b.rateLimits),
    );
    for (const n of delta.notes) out.note(n, delta.high ? "high" : "low");
  }
  const pa = pluginNames(a);
  const pb = pluginNames(b);
  for (const p of pa.filter((x) => !pb.includes(x))) {
    const guard = GUARD_PLUGINS[p];
    out.note(guard === undefined ? `route ${name}: plugin ${p} removed` : `route ${name}: plugin ${p} removed, ${guard}`, guard === undefined ? "low" : "high");
  }
  for (const p of pb.filter((x) => !pa.includes(x))) out.note(`route ${name}: plugin ${p} added`);
  if (a.cache === undefined && b.cache !== undefined) out.note(`route ${name}: responses cached`);
  if (a.cache !== undefined && b.cache === undefined) out.note(`route ${name}: no longer cached`);
}

/** New route `r` wins over old route `c` for the requests both match: by path precedence, then file order in the new config. */
function outranks(ctx: RiskContext, r: JsonObject, c: JsonObject): boolean {
  const [pr, pc] = [precedence(r.match), precedence(c.match)];
  if (pr !== pc) return pr > pc;
  const ic = ctx.routeOrder.get(renamed(ctx, "route", String(c.name)));
  return ic === undefined || (ctx.routeOrder.get(String(r.name)) ?? 0) < ic;
}

/**
 * Routes: auth removed (the route made public), a widened match, or
 * traffic of a removed route falling through to a public route are high;
 * a match that moves, or a change of upstream, split or fallback is medium.
 */
export function assessRoute(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const name = change.name;
  if (change.action === "add" && b !== undefined) {
    out.note(`new route ${name}: ${describeMatch(b.match)} → ${destinationOf(b)} (${authText(b)})`);
    const from = routesOverlapping(ctx.routeIndex.before, b.match).find((c) => outranks(ctx, b, c));
    if (from === undefined) return;
    const taken = `route ${name} takes requests for ${describeMatch(b.match)} from route ${String(from.name)}`;
    if (isPublic(b) && !isPublic(from)) out.note(`${taken} (${authText(from)}) without auth`, "high");
    else out.note(taken);
    return;
  }
  if (change.action === "remove" && a !== undefined) {
    const to = routesOverlapping(ctx.routeIndex.after, a.match)[0];
    const what = `requests for ${describeMatch(a.match)}`;
    if (to === undefined) out.note(`route ${name} removed: ${what} get 404`);
    else if (!isPublic(a) && isPublic(to)) out.note(`route ${name} removed: ${what} now reach public route ${String(to.name)} (was ${authText(a)})`, "high");
    else out.note(`route ${name} removed: ${what} now go to route ${String(to.name)} → ${destinationOf(to)} (${authText(to)})`);
    return;
  }
  if (a !== undefined && b !== undefined && entry.renamedFrom === undefined) assessRouteChange(ctx, name, a, b, out);
}

function targetsOf(u: JsonObject | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(u?.targets)) for (const t of u.targets) if (isPlainObject(t)) out.set(String(t.url), t.weight ?? 1);
  return out;
}

/**
 * Upstreams: removed while a route that used it (upstream, split member or
 * fallback) in the old config still exists is high, whatever that route
 * does now: its traffic was moved by removing the pool. When the route is
 * removed in the same change, the route's removal tells the story. Changed
 * targets, weights or type are medium.
 */
export function assessUpstream(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const name = change.name;
  if (change.action === "remove") {
    const users = routesUsingUpstream(ctx.before.get("route")!, name);
    if (users.length === 0) out.note(`upstream ${name} removed: no route used it`);
    for (const { route, use } of users) {
      const now = renamed(ctx, "route", route);
      const r = ctx.after.get("route")!.get(now);
      if (r === undefined) out.note(`upstream ${name} removed with route ${route}, which used it as ${use}`);
      else out.note(`upstream ${name} removed while route ${now} used it as ${use}: now ${destinationOf(r)}${strings(r.fallback).length > 0 ? `, fallback ${strings(r.fallback).join(", ")}` : ""}`, "high");
    }
    return;
  }
  if (change.action === "add") {
    out.note(`new upstream ${name} (${String(b?.type)}${targetsOf(b).size > 0 ? `, ${[...targetsOf(b).keys()].join(", ")}` : ""})`);
    return;
  }
  if (entry.renamedFrom !== undefined) return;
  const users = routesUsingUpstream(ctx.after.get("route")!, name).map((u) => u.route);
  const who = users.length === 0 ? "" : ` (routes ${names([...new Set(users)])})`;
  const ta = targetsOf(a);
  const tb = targetsOf(b);
  const added = [...tb.keys()].filter((u) => !ta.has(u));
  const removed = [...ta.keys()].filter((u) => !tb.has(u));
  if (added.length > 0 || removed.length > 0) {
    const parts = [...added.map((u) => `+${u}`), ...removed.map((u) => `−${u}`)];
    out.note(`upstream ${name}: targets ${parts.join(", ")}${who}`, "medium");
  }
  for (const [url, w] of tb) if (ta.has(url) && ta.get(url) !== w) out.note(`upstream ${name}: weight of ${url} ${String(ta.get(url))} → ${String(w)}${who}`, "medium");
  if (a?.type !== b?.type) out.note(`upstream ${name}: type ${String(a?.type)} → ${String(b?.type)}${who}`, "medium");
  if (a?.balancer !== b?.balancer) out.note(`upstream ${name}: balancer ${String(a?.balancer)} → ${String(b?.balancer)}`);
  const ma = strings(a?.models);
  const mb = strings(b?.models);
  for (const m of mb.filter((x) => !ma.includes(x))) out.note(`upstream ${name}: serves model ${m}`);
  for (const m of ma.filter((x) => !mb.includes(x))) out.note(`upstream ${name}: no longer lists model ${m}`);
}
