import { parseDuration } from "../duration.js";
import { isAiUpstreamType } from "../kinds.js";
import { normalizePath } from "../path.js";
import type { Route, Upstream } from "../types.js";
import type { CheckContext } from "./context.js";

/** Whether a route sends traffic to an AI upstream (its upstream, a split member or a fallback). */
export function routeIsAi(route: Route, upstreams: ReadonlyMap<string, Upstream>): boolean {
  const members = [route.upstream, ...(route.split ?? []).map((s) => s.upstream), ...(route.fallback ?? [])];
  return members.some((name) => name !== undefined && isAiUpstreamType(upstreams.get(name)?.type ?? ""));
}

/** Trailing slashes do not count in a prefix: `/v1/api/` is `/v1/api`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** Whether `prefix` covers `path` at a segment boundary. */
export function prefixCovers(prefix: string, path: string): boolean {
  const p = normalizePrefix(prefix);
  return p === "/" || path === p || path.startsWith(p + "/");
}

/** One route under check: where it is, its name as findings quote it, and the config's upstreams by name. */
interface RouteUnderCheck {
  readonly ctx: CheckContext;
  readonly route: Route;
  readonly base: readonly ["routes", number];
  readonly name: string;
  readonly upstreams: ReadonlyMap<string, Upstream>;
}

export function checkRoutes(ctx: CheckContext): void {
  const upstreams = new Map(ctx.config.upstreams.map((u) => [u.name, u]));
  ctx.config.routes.forEach((route, i) => {
    const r: RouteUnderCheck = { ctx, route, base: ["routes", i], name: JSON.stringify(route.name), upstreams };
    for (const check of ROUTE_CHECKS) check(r);
  });
}

/** Exactly one of `upstream` and `split`, a split that can pick something, `sticky` only with a split. */
function checkTargets({ ctx: { reporter }, route, base, name }: RouteUnderCheck): void {
  if (route.upstream === undefined && route.split === undefined) {
    reporter.report("error", "route.upstream.missing", [...base], `route ${name} names no upstream`, {
      hint: "add `upstream: <name>` or a weighted `split`",
    });
  }
  if (route.upstream !== undefined && route.split !== undefined) {
    reporter.report("error", "route.upstream.conflict", [...base, "split"], `route ${name} has both \`upstream\` and \`split\`; use one`, { key: true });
  }
  if (route.split !== undefined && route.split.length > 0 && route.split.every((s) => s.weight === 0)) {
    reporter.report("error", "route.split.weights-zero", [...base, "split"], `route ${name}: the split weights sum to zero, so no upstream can be picked`);
  }
  if (route.sticky !== undefined && route.split === undefined) {
    reporter.report("warning", "route.sticky.no-split", [...base, "sticky"], `route ${name} sets \`sticky\` but has no \`split\`; it has no effect`, { key: true });
  }
}

/** A path or prefix a request can have (no query, fragment, encoded slash or NUL), and not both. */
function checkPaths({ ctx, route: { match }, base, name }: RouteUnderCheck): void {
  const { reporter } = ctx;
  for (const key of ["path", "pathPrefix"] as const) {
    const value = match[key];
    if (value === undefined || ctx.isUnset([...base, "match", key])) continue;
    if (/[?#]/.test(value)) {
      reporter.report("error", "route.match.path.invalid", [...base, "match", key], `route ${name}: ${key} ${JSON.stringify(value)} can never match: paths are matched without their query or fragment`, {
        hint: "match on the path alone; to route on a query parameter, put a header condition on a header your clients set",
      });
      continue;
    }
    const normalized = normalizePath(value);
    if (!normalized.ok) {
      reporter.report("error", "route.match.path.invalid", [...base, "match", key], `route ${name}: ${key} ${JSON.stringify(value)} can never match: ${normalized.reason}`, {
        hint: "requests with encoded slashes, backslashes or NUL are refused with 400 before routing",
      });
    }
  }
  if (match.path !== undefined && match.pathPrefix !== undefined) {
    reporter.report("error", "route.match.conflict", [...base, "match", "pathPrefix"], `route ${name} has both \`path\` and \`pathPrefix\`; use one`, { key: true });
  }
}

function checkFallback({ ctx: { reporter }, route, base, name }: RouteUnderCheck): void {
  const primaries = new Set([route.upstream, ...(route.split ?? []).map((s) => s.upstream)]);
  route.fallback?.forEach((f, j) => {
    if (primaries.has(f)) {
      reporter.report("error", "route.fallback.self", [...base, "fallback", j], `route ${name} falls back to ${JSON.stringify(f)}, which is already its upstream`);
    }
  });
}

/** `match.model` and `cache` need an AI route; a cache needs a ttl. */
function checkAiFeatures({ ctx: { reporter }, route, base, name, upstreams }: RouteUnderCheck): void {
  const ai = routeIsAi(route, upstreams);
  if (route.match.model !== undefined && !ai) {
    reporter.report("error", "route.model.not-ai", [...base, "match", "model"], `route ${name} matches on \`model\`, but none of its upstreams is an AI upstream`, {
      key: true,
      hint: "`model` is read from the JSON body of requests to openai, anthropic, ollama, bedrock or mock upstreams",
    });
  }
  if (route.cache !== undefined) {
    if (!ai) {
      reporter.report("error", "route.cache.not-ai", [...base, "cache"], `route ${name} has a cache, but only AI routes can be cached`, { key: true });
    }
    if (parseDuration(route.cache.ttl) === 0) {
      reporter.report("error", "route.cache.ttl-zero", [...base, "cache", "ttl"], `route ${name}: a cache ttl of zero caches nothing`);
    }
  }
}

function checkScopes({ ctx: { reporter }, route, base, name }: RouteUnderCheck): void {
  if (route.scopes.length > 0 && (route.auth ?? []).length === 0) {
    reporter.report("error", "route.scopes.no-auth", [...base, "scopes"], `route ${name} requires scopes but has no \`auth\`; no caller could ever hold them`, { key: true });
  }
}

/** `rewrite.stripPrefix` must cover the route's path (unless either holds an unset `${VAR}`). */
function checkStripPrefix({ ctx, route: { match, rewrite }, base, name }: RouteUnderCheck): void {
  const strip = rewrite?.stripPrefix;
  const routePath = match.path ?? match.pathPrefix;
  const unknown = ctx.isUnset([...base, "rewrite", "stripPrefix"]) || ctx.isUnset([...base, "match", match.path !== undefined ? "path" : "pathPrefix"]);
  if (strip !== undefined && routePath !== undefined && !unknown && !prefixCovers(strip, normalizePrefix(routePath))) {
    ctx.reporter.report(
      "error",
      "route.rewrite.strip-prefix.mismatch",
      [...base, "rewrite", "stripPrefix"],
      `route ${name}: stripPrefix ${JSON.stringify(strip)} is not a prefix of the route's path ${JSON.stringify(routePath)}`,
    );
  }
}

/** Every check of one route, in the order its findings are reported. */
const ROUTE_CHECKS: readonly ((r: RouteUnderCheck) => void)[] = [checkTargets, checkPaths, checkFallback, checkAiFeatures, checkScopes, checkStripPrefix];
