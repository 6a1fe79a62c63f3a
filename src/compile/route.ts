import type { Glob } from "./router/glob.js";
import type { HostMatcher } from "./router/host.js";
import type { HeaderRules, PluginEntry, Route } from "../config/types.js";

/** The request facts a route's conditions look at. */
export interface MatchRequest {
  method: string;
  /** Normalised path (see router/path.ts), without the query. */
  path: string;
  /** Normalised host (see router/host.ts). */
  host: string;
  /** Header by lower-case name. */
  header(name: string): string | undefined;
  /** The body's `model`, when it was read (AI routes only). */
  model?: string | undefined;
}

export interface HeaderCondition {
  readonly name: string;
  readonly value: Glob;
}

export interface CompiledRoute {
  /** Position in the file's `routes`. */
  readonly index: number;
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly pathKind: "exact" | "prefix";
  /** Exact path, or normalised prefix (`/` matches everything). */
  readonly path: string;
  readonly methods: ReadonlySet<string> | null;
  readonly host: HostMatcher | null;
  readonly headers: readonly HeaderCondition[];
  readonly model: Glob | null;
  /** The route proxies to an AI upstream: bodies are read for `model`, errors use the OpenAI shape. */
  readonly ai: boolean;
  readonly upstream: string | null;
  readonly split: readonly { readonly upstream: string; readonly weight: number }[] | null;
  readonly sticky: "consumer" | null;
  readonly fallback: readonly string[];
  readonly auth: readonly string[];
  readonly scopes: readonly string[];
  /** The route's own policies (consumer and gateway policies are added per request). */
  readonly rateLimits: readonly string[];
  readonly cache: { readonly ttlMs: number; readonly force: boolean; readonly scope: "consumer" | "global" } | null;
  readonly timeoutMs: number | null;
  readonly rewrite: { readonly stripPrefix: string | null; readonly prefix: string | null } | null;
  readonly requestHeaders: HeaderRules | null;
  readonly responseHeaders: HeaderRules | null;
  readonly plugins: readonly PluginEntry[];
  /** The route as declared (secrets included: never print it). */
  readonly source: Route;
}

/** The first condition of a route that a request fails, or null when all hold. */
export type FailedCondition = "method" | "host" | "header" | "model" | null;

/**
 * Checks a route's conditions other than the path, in a fixed order:
 * methods, host, headers, model. The one implementation of matching: the
 * server, `explain`, `test` and `replay` all call it.
 */
export function failedCondition(route: CompiledRoute, req: MatchRequest): FailedCondition {
  if (route.methods !== null && !route.methods.has(req.method)) return "method";
  if (route.host !== null && !route.host.test(req.host)) return "host";
  for (const h of route.headers) {
    const value = req.header(h.name);
    if (value === undefined || !h.value.test(value)) return "header";
  }
  if (route.model !== null && (req.model === undefined || !route.model.test(req.model))) return "model";
  return null;
}

/** Words for a failed condition (explain output; never on the hot path). */
export function describeFailure(route: CompiledRoute, req: MatchRequest, failed: Exclude<FailedCondition, null>): string {
  switch (failed) {
    case "method":
      return `method ${req.method} is not one of ${[...(route.methods ?? [])].join(", ")}`;
    case "host":
      return `host ${JSON.stringify(req.host)} does not match ${JSON.stringify(route.host?.pattern)}`;
    case "header": {
      for (const h of route.headers) {
        const value = req.header(h.name);
        if (value === undefined) return `header ${h.name} is missing`;
        if (!h.value.test(value)) return `header ${h.name} does not match ${JSON.stringify(h.value.pattern)}`;
      }
      return "a header does not match";
    }
    case "model":
      return req.model === undefined
        ? "the request names no model"
        : `model ${JSON.stringify(req.model)} does not match ${JSON.stringify(route.model?.pattern)}`;
  }
}
