import type { CompiledRoute, MatchRequest } from "../compile/route.js";
import type { Candidates } from "../compile/router/router.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { CompiledConsumer as Consumer } from "../compile/snapshot.js";
import { clip } from "../errors/clip.js";
import { preflightRoute } from "../plugins/preflight.js";

/**
 * The gateway's routing decision as one pure function over the snapshot,
 * taken in two steps because the second may need the body: `routeCandidates`
 * (canonical path, built-in endpoints, the routes that may take the path)
 * and `selectRoute` (the first candidate whose conditions hold, a CORS
 * preflight's announced route, or which 404). The data plane and
 * `explain`/`test`/`replay` call the same two, so they cannot disagree.
 */

/** The built-in endpoints of the data listener. */
export type BuiltinName = "models" | "usage";

export type CandidateStep =
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "builtin"; readonly path: string; readonly name: BuiltinName }
  | { readonly kind: "candidates"; readonly path: string; readonly candidates: Candidates };

/** `GET /v1/models` and `GET /v1/usage` are the gateway's own, unless a route claims the exact path. */
function builtinAt(method: string, path: string, candidates: Candidates): BuiltinName | null {
  if (method !== "GET" || candidates.routes.some((r) => r.pathKind === "exact")) return null;
  return path === "/v1/models" ? "models" : path === "/v1/usage" ? "usage" : null;
}

/** The canonical path (the one matched and forwarded) and what may take it. */
export function routeCandidates(snapshot: Snapshot, method: string, rawPath: string): CandidateStep {
  const normalized = snapshot.router.normalize(rawPath);
  if (!normalized.ok) return { kind: "invalid", reason: normalized.reason };
  const path = normalized.path;
  const candidates = snapshot.router.candidates(path);
  const builtin = builtinAt(method, path, candidates);
  return builtin === null ? { kind: "candidates", path, candidates } : { kind: "builtin", path, name: builtin };
}

/** What a CORS preflight announces (`Origin`, `Access-Control-Request-Method`), when the request is one. */
export interface PreflightFacts {
  readonly origin: string | undefined;
  readonly requestMethod: string | undefined;
}

export type RouteSelection =
  | { readonly kind: "route"; readonly route: CompiledRoute }
  | { readonly kind: "none"; readonly code: "route_not_found" | "model_not_found"; readonly message: string };

/** The route that takes the request, or the 404 it gets (a model no route serves is its own code). */
export function selectRoute(snapshot: Snapshot, candidates: Candidates, match: MatchRequest, preflight: PreflightFacts): RouteSelection {
  const route = snapshot.router.select(candidates, match) ?? preflightRoute(candidates, match, match.method, preflight, snapshot.config.gateway.plugins);
  if (route !== null) return { kind: "route", route };
  if (candidates.needsModel && match.model !== undefined) {
    return { kind: "none", code: "model_not_found", message: `no route serves model ${JSON.stringify(match.model)} at ${clip(match.path)}` };
  }
  return { kind: "none", code: "route_not_found", message: `no route for ${clip(match.method, 16)} ${clip(match.path)}` };
}

/**
 * The rate-limit policies a request is checked against, in order: the
 * route's, then the consumer's, then `gateway.rateLimits`; a policy named
 * twice counts once (DESIGN.md 10).
 */
export function policiesFor(route: CompiledRoute, consumer: Consumer | null | undefined, gatewayPolicies: readonly string[]): string[] {
  return [...new Set([...route.rateLimits, ...(consumer?.rateLimits ?? []), ...gatewayPolicies])];
}
