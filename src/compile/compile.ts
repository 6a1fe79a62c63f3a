import type { CanonicalConfig } from "../config/canonical.js";
import { hashCanonical } from "../config/canonical.js";
import { normalizePrefix, routeIsAi } from "../config/checks/routes.js";
import { parseDuration } from "../config/duration.js";
import { locate, type SourceDocument } from "../config/source.js";
import type { GatewayConfig, Route, Upstream } from "../config/types.js";
import type { CompiledRoute } from "./route.js";
import { compileGlob, compileGlobs } from "./router/glob.js";
import { compileHost } from "./router/host.js";
import { normalizePath } from "../config/path.js";
import { Router } from "./router/router.js";
import { deepFreeze, type CompiledPolicy, type Snapshot } from "./snapshot.js";

/**
 * Stage 5: a resolved config → an immutable snapshot with precompiled
 * matchers. Pure; the config must have passed the earlier stages.
 */
export function compile(config: GatewayConfig, canonical: CanonicalConfig, src: SourceDocument): Snapshot {
  const frozenConfig = deepFreeze(structuredClone(config));
  const upstreams = new Map((frozenConfig.upstreams ?? []).map((u) => [u.name, u]));
  const routes = (frozenConfig.routes ?? []).map((route, index) => compileRoute(route, index, upstreams, src));
  const policies = new Map<string, CompiledPolicy>(
    (frozenConfig.rateLimits ?? []).map((p) => [
      p.name,
      {
        name: p.name,
        algorithm: p.algorithm ?? "token_bucket",
        limit: p.limit,
        windowMs: parseDuration(p.window) ?? 0,
        key: p.key ?? "consumer",
        cost: p.cost ?? "requests",
        mode: p.mode ?? "enforce",
      },
    ]),
  );
  const snapshot: Snapshot = {
    hash: hashCanonical(canonical),
    file: src.file,
    canonical,
    config: frozenConfig,
    router: new Router(routes),
    routes,
    upstreams,
    authProviders: new Map((frozenConfig.auth ?? []).map((a) => [a.name, a])),
    consumers: new Map((frozenConfig.consumers ?? []).map((c) => [c.name, c])),
    policies,
    gatewayRateLimits: frozenConfig.gateway?.rateLimits ?? [],
  };
  return deepFreeze(snapshot);
}

/** A route's path, normalised exactly as request paths are, so `%7E` in the config matches `~` in a request. */
function normalizedRoutePath(path: string): string {
  const normalized = normalizePath(path);
  return normalized.ok ? normalized.path : path;
}

function compileRoute(route: Route, index: number, upstreams: ReadonlyMap<string, Upstream>, src: SourceDocument): CompiledRoute {
  const match = route.match ?? {};
  const { line, column } = locate(src, ["routes", index]);
  const exact = match.path !== undefined;
  const path = exact ? normalizedRoutePath(match.path!) : normalizePrefix(normalizedRoutePath(match.pathPrefix ?? "/"));
  const models = match.model === undefined ? null : compileGlobs(Array.isArray(match.model) ? match.model : [match.model]);
  const ttlMs = route.cache === undefined ? undefined : parseDuration(route.cache.ttl);
  return {
    index,
    name: route.name,
    line,
    column,
    pathKind: exact ? "exact" : "prefix",
    path,
    methods: match.methods === undefined ? null : new Set(match.methods),
    host: match.host === undefined ? null : compileHost(match.host),
    headers: Object.entries(match.headers ?? {}).map(([name, value]) => ({ name: name.toLowerCase(), value: compileGlob(value) })),
    model: models,
    ai: routeIsAi(route, upstreams),
    upstream: route.upstream ?? null,
    split: route.split ?? null,
    sticky: route.sticky ?? null,
    fallback: route.fallback ?? [],
    auth: route.auth ?? [],
    scopes: route.scopes ?? [],
    rateLimits: route.rateLimits ?? [],
    cache:
      route.cache === undefined
        ? null
        : { ttlMs: ttlMs ?? 0, force: route.cache.force ?? false, scope: route.cache.scope ?? "consumer" },
    timeoutMs: route.timeoutMs ?? null,
    rewrite:
      route.rewrite === undefined
        ? null
        : {
            stripPrefix: route.rewrite.stripPrefix === undefined ? null : normalizePrefix(route.rewrite.stripPrefix),
            prefix: route.rewrite.prefix === undefined ? null : normalizePrefix(route.rewrite.prefix),
          },
    requestHeaders: route.headers?.request ?? null,
    responseHeaders: route.headers?.response ?? null,
    plugins: route.plugins ?? [],
    source: route,
  };
}
