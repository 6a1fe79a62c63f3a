import type { CompiledRoute, MatchRequest } from "../compile/route.js";
import { failedCondition } from "../compile/route.js";
import type { Candidates } from "../compile/router/router.js";
import type { PluginEntry } from "../config/types.js";

const isCors = (p: PluginEntry): boolean => p.module === undefined && p.name === "cors";

/**
 * A CORS preflight no route matched as it is (an OPTIONS request, while
 * routes list the methods they take, and a preflight carries no body to
 * match a `model` on): the route the request it announces would take, by
 * path, host, headers and `Access-Control-Request-Method` (any `model`),
 * when a `cors` plugin (the route's or the gateway's) is there to answer
 * it. Null otherwise (the gateway's 404 stands).
 */
export function preflightRoute(
  candidates: Candidates,
  match: MatchRequest,
  method: string,
  preflight: { readonly origin: string | undefined; readonly requestMethod: string | undefined },
  gatewayPlugins: readonly PluginEntry[],
): CompiledRoute | null {
  if (method !== "OPTIONS" || preflight.origin === undefined) return null;
  const announced = preflight.requestMethod;
  if (announced === undefined || announced === "") return null;
  const gatewayCors = gatewayPlugins.some(isCors);
  const as: MatchRequest = { ...match, method: announced.toUpperCase() };
  for (const route of candidates.routes) {
    const failed = failedCondition(route, as);
    if (failed !== null && failed !== "model") continue;
    return gatewayCors || route.plugins.some(isCors) ? route : null;
  }
  return null;
}
