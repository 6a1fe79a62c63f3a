import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { CanonicalConfig } from "../config/canonical.js";
import { hashCanonical } from "../config/canonical.js";
import { normalizePrefix, routeIsAi } from "../config/checks/routes.js";
import { parseDuration } from "../config/duration.js";
import { normalizePath } from "../config/path.js";
import type { Position } from "../config/source.js";
import type { GatewayConfig, Route, Upstream } from "../config/types.js";
import type { CompiledRoute } from "./route.js";
import { compileGlob, compileGlobs } from "./router/glob.js";
import { compileHost } from "./router/host.js";
import { Router } from "./router/router.js";
import { deepFreeze, type CompiledPolicy, type Snapshot } from "./snapshot.js";

/** What compile needs: the resolved config and where its routes are in the file. */
export interface CompileInput {
  config: GatewayConfig;
  /** The canonical form, as an object or as its JSON text (parsed on first use). */
  canonical: CanonicalConfig | string;
  /** `sha256:<hex>` of the canonical JSON, when already known. */
  hash?: string;
  file: string;
  /** Position of each route (`routes[i]`) in the file. */
  routePositions: readonly Position[];
}

/** Routes compiled (and frozen) between two yields of the sliced compile. */
const SLICE = 500;

/**
 * Stage 5 as a sequence of steps: resolved config → immutable snapshot with
 * precompiled matchers. Each `yield` is a point where a caller may give the
 * event loop a turn. Pure, but takes ownership: the config is frozen in
 * place and becomes part of the snapshot.
 */
function* compileSteps(input: CompileInput): Generator<void, Snapshot> {
  const config = input.config;
  const upstreams = new Map(config.upstreams.map((u) => [u.name, deepFreeze(u)]));
  const routes: CompiledRoute[] = [];
  const declared = config.routes;
  for (let i = 0; i < declared.length; i++) {
    routes.push(Object.freeze(compileRoute(deepFreeze(declared[i]!), i, upstreams, input.routePositions[i] ?? { line: 1, column: 1 })));
    if (i % SLICE === SLICE - 1) yield;
  }
  Object.freeze(routes);
  const router = new Router(routes, { allowSemicolon: config.server.paths.allowSemicolon });
  yield;
  for (const key in config) if (key !== "routes") deepFreeze((config as unknown as Record<string, unknown>)[key]);
  Object.freeze(declared);
  Object.freeze(config);
  const policies = new Map<string, CompiledPolicy>(
    config.rateLimits.map((p) => [
      p.name,
      Object.freeze({
        name: p.name,
        algorithm: p.algorithm,
        limit: p.limit,
        windowMs: parseDuration(p.window) ?? 0,
        key: p.key,
        cost: p.cost,
        mode: p.mode,
      }),
    ]),
  );
  let canonical = typeof input.canonical === "string" ? undefined : deepFreeze(input.canonical);
  const canonicalJson = typeof input.canonical === "string" ? input.canonical : undefined;
  const hash = input.hash ?? hashCanonical(canonical!);
  const snapshot: Snapshot = {
    hash,
    file: input.file,
    get canonical(): CanonicalConfig {
      canonical ??= deepFreeze(JSON.parse(canonicalJson!) as CanonicalConfig);
      return canonical;
    },
    config,
    router,
    routes,
    upstreams,
    authProviders: new Map(config.auth.map((a) => [a.name, a])),
    consumers: new Map(config.consumers.map((c) => [c.name, Object.freeze({ ...c, modelGlob: c.models === undefined ? null : compileGlobs(c.models) })])),
    policies,
    gatewayRateLimits: config.gateway.rateLimits,
  };
  return Object.freeze(snapshot);
}

/** Compiles in one go (CLI commands). */
export function compile(input: CompileInput): Snapshot {
  const steps = compileSteps(input);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Compiles in slices, yielding to the event loop between them (reloads under traffic). */
export async function compileInSlices(input: CompileInput): Promise<Snapshot> {
  const steps = compileSteps(input);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await yieldToEventLoop();
  }
}

/** A route's path, normalised exactly as request paths are, so `%7E` in the config matches `~` in a request. */
function normalizedRoutePath(path: string): string {
  const normalized = normalizePath(path);
  return normalized.ok ? normalized.path : path;
}

function compileRoute(route: Route, index: number, upstreams: ReadonlyMap<string, Upstream>, position: Position): CompiledRoute {
  const match = route.match;
  const exact = match.path !== undefined;
  const path = exact ? normalizedRoutePath(match.path!) : normalizePrefix(normalizedRoutePath(match.pathPrefix ?? "/"));
  const models = match.model === undefined ? null : compileGlobs(Array.isArray(match.model) ? match.model : [match.model]);
  const ttlMs = route.cache === undefined ? undefined : parseDuration(route.cache.ttl);
  return {
    index,
    name: route.name,
    line: position.line,
    column: position.column,
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
    scopes: route.scopes,
    rateLimits: route.rateLimits,
    cache:
      route.cache === undefined
        ? null
        : { ttlMs: ttlMs ?? 0, force: route.cache.force, scope: route.cache.scope },
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
    plugins: route.plugins,
    source: route,
  };
}
