import { describeFailure, failedCondition, type CompiledRoute, type MatchRequest } from "../route.js";
import { SegmentTrie } from "./radix.js";
import { normalizePath, type NormalizedPath, type PathOptions } from "./path.js";

/** The routes that may take a path, in precedence order. */
export interface Candidates {
  readonly routes: readonly CompiledRoute[];
  /** Some candidate matches on `model`: read the body before choosing. */
  readonly needsModel: boolean;
}

export interface TraceEntry {
  route: string;
  matched: boolean;
  reason: string;
}

export interface Explanation {
  route: CompiledRoute | null;
  trace: TraceEntry[];
}

function candidates(routes: readonly CompiledRoute[]): Candidates {
  return Object.freeze({ routes, needsModel: routes.some((r) => r.model !== null) });
}

/**
 * The compiled routing table. Precedence: an exact `path` beats any
 * `pathPrefix`; a longer prefix beats a shorter one; among routes of the same
 * path, file order decides, and a route whose other conditions fail passes
 * the request on to the next candidate.
 */
export class Router {
  private readonly exact = new Map<string, Candidates>();
  private readonly prefixes: SegmentTrie<CompiledRoute, Candidates>;
  private readonly all: readonly CompiledRoute[];

  constructor(
    routes: readonly CompiledRoute[],
    private readonly pathOptions: PathOptions = { allowSemicolon: false },
  ) {
    this.all = routes;
    this.prefixes = new SegmentTrie<CompiledRoute, Candidates>(candidates);
    const exactRoutes = new Map<string, CompiledRoute[]>();
    for (const route of routes) {
      if (route.pathKind === "prefix") this.prefixes.insert(route.path, route);
      else exactRoutes.set(route.path, [...(exactRoutes.get(route.path) ?? []), route]);
    }
    this.prefixes.seal();
    for (const [path, own] of exactRoutes) {
      this.exact.set(path, candidates(Object.freeze([...own, ...this.prefixes.chainAt(path)])));
    }
    Object.freeze(this);
  }

  /**
   * The canonical form of a raw request path (`server.paths`): the one path
   * that is matched and forwarded, so an upstream never sees a path another
   * route owns.
   */
  normalize(rawPath: string): NormalizedPath {
    return normalizePath(rawPath, this.pathOptions);
  }

  /** The candidates for a normalised path, in precedence order. */
  candidates(path: string): Candidates {
    return this.exact.get(path) ?? this.prefixes.lookup(path);
  }

  /** The route that takes the request, or null (404). */
  match(req: MatchRequest): CompiledRoute | null {
    return this.select(this.candidates(req.path), req);
  }

  /** The first candidate whose conditions hold (for callers that looked the candidates up already). */
  select(candidates: Candidates, req: MatchRequest): CompiledRoute | null {
    for (const route of candidates.routes) if (failedCondition(route, req) === null) return route;
    return null;
  }

  /**
   * The same decision as `match`, with the reason for each route: first the
   * candidates for the path in the order they were tried, then every other
   * route with the reason its path does not apply.
   */
  explain(req: MatchRequest): Explanation {
    const trace: TraceEntry[] = [];
    let chosen: CompiledRoute | null = null;
    const tried = this.candidates(req.path).routes;
    for (const route of tried) {
      if (chosen !== null) {
        trace.push({ route: route.name, matched: false, reason: `not tried: route ${JSON.stringify(chosen.name)} matched first` });
        continue;
      }
      const failed = failedCondition(route, req);
      if (failed === null) {
        chosen = route;
        trace.push({ route: route.name, matched: true, reason: `${describePath(route)} and every condition holds` });
      } else trace.push({ route: route.name, matched: false, reason: describeFailure(route, req, failed) });
    }
    const triedSet = new Set(tried);
    for (const route of this.all) {
      if (triedSet.has(route)) continue;
      trace.push({ route: route.name, matched: false, reason: pathMismatch(route, req.path) });
    }
    return { route: chosen, trace };
  }

  /** Every route in precedence order: exact paths, then prefixes longest first, ties in file order. */
  ordered(): CompiledRoute[] {
    const depth = (r: CompiledRoute): number => (r.path === "/" ? 0 : r.path.split("/").length - 1);
    return [...this.all].sort(
      (a, b) =>
        Number(a.pathKind === "prefix") - Number(b.pathKind === "prefix") ||
        (a.pathKind === "prefix" ? depth(b) - depth(a) || b.path.length - a.path.length : 0) ||
        (a.pathKind === "exact" ? a.path.localeCompare(b.path) : 0) ||
        a.index - b.index,
    );
  }
}

function describePath(route: CompiledRoute): string {
  return route.pathKind === "exact" ? `path is exactly ${route.path}` : route.path === "/" ? "any path" : `path is under ${route.path}`;
}

function pathMismatch(route: CompiledRoute, path: string): string {
  if (route.pathKind === "exact") return `path ${path} is not ${route.path}`;
  return `path ${path} is not under ${route.path}`;
}
