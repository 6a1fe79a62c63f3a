import { compileGlob } from "../compile/router/glob.js";
import { isPlainObject, type JsonObject } from "./compare.js";

/**
 * How a route's match changed, condition by condition. A route matches when
 * all of its conditions hold, so the route takes traffic it did not take
 * before as soon as one condition accepts more (`widened`); `narrowed`
 * accepts a subset; `changed` accepts a different, overlapping or disjoint
 * set (a move).
 */
export type Verdict = "same" | "narrowed" | "widened" | "changed";

export interface MatchChange {
  condition: "path" | "methods" | "host" | "headers" | "model";
  verdict: Verdict;
  /** `path /v1/chat → pathPrefix /v1`. */
  text: string;
}

const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

type PathSet = { kind: "all" } | { kind: "exact"; path: string } | { kind: "prefix"; path: string };

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.replace(/\/+$/, "") || "/" : p;
}

export function pathSetOf(match: JsonObject): PathSet {
  if (typeof match.path === "string") return { kind: "exact", path: match.path };
  if (typeof match.pathPrefix === "string") {
    const p = trimSlash(match.pathPrefix);
    return p === "/" ? { kind: "all" } : { kind: "prefix", path: p };
  }
  return { kind: "all" };
}

function describePath(s: PathSet): string {
  return s.kind === "all" ? "every path" : s.kind === "exact" ? `path ${s.path}` : `pathPrefix ${s.path}`;
}

/** `p` is at or under `prefix`, at a segment boundary. */
export function underPrefix(p: string, prefix: string): boolean {
  return prefix === "/" || p === prefix || p.startsWith(prefix + "/");
}

/** Every request path in `y` is in `x`. */
function pathCovers(x: PathSet, y: PathSet): boolean {
  if (x.kind === "all") return true;
  if (y.kind === "all") return false;
  if (x.kind === "exact") return y.kind === "exact" && y.path === x.path;
  return underPrefix(y.path, x.path);
}

/** Glob `x` accepts everything glob `y` accepts (read `y`'s wildcards as text: sound for the usual prefix globs). */
export function globCovers(x: string, y: string): boolean {
  return x === y || compileGlob(x).test(y);
}

function verdict(widerNew: boolean, widerOld: boolean): Verdict {
  if (widerNew && widerOld) return "same";
  if (widerNew) return "widened";
  if (widerOld) return "narrowed";
  return "changed";
}

function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function show(values: string[] | undefined, all: string): string {
  return values === undefined ? all : values.join(", ");
}

function methodsCover(x: string[] | undefined, y: string[] | undefined): boolean {
  const xs = x ?? ALL_METHODS;
  return (y ?? ALL_METHODS).every((m) => xs.includes(m));
}

function hostCovers(x: string | undefined, y: string | undefined): boolean {
  if (x === undefined || x === "*") return true;
  if (y === undefined || y === "*") return false;
  return globCovers(x.toLowerCase(), y.toLowerCase());
}

function headersOf(match: JsonObject): Record<string, string> {
  return isPlainObject(match.headers) ? (match.headers as Record<string, string>) : {};
}

/** Every request meeting header conditions `y` meets `x` (fewer conditions = wider). */
function headersCover(x: Record<string, string>, y: Record<string, string>): boolean {
  return Object.entries(x).every(([name, glob]) => y[name] !== undefined && globCovers(glob, y[name]!));
}

function modelsCover(x: string[] | undefined, y: string[] | undefined): boolean {
  if (x === undefined) return true;
  if (y === undefined) return false;
  return y.every((m) => x.some((g) => globCovers(g, m)));
}

/** The conditions of a route's match that changed, with a verdict each. */
export function compareMatch(before: unknown, after: unknown): MatchChange[] {
  const a = isPlainObject(before) ? before : {};
  const b = isPlainObject(after) ? after : {};
  const out: MatchChange[] = [];
  const push = (condition: MatchChange["condition"], widerNew: boolean, widerOld: boolean, text: string): void => {
    const v = verdict(widerNew, widerOld);
    if (v !== "same") out.push({ condition, verdict: v, text });
  };
  const pa = pathSetOf(a);
  const pb = pathSetOf(b);
  push("path", pathCovers(pb, pa), pathCovers(pa, pb), `${describePath(pa)} → ${describePath(pb)}`);
  const ma = list(a.methods);
  const mb = list(b.methods);
  push("methods", methodsCover(mb, ma), methodsCover(ma, mb), `methods ${show(ma, "any")} → ${show(mb, "any")}`);
  const ha = typeof a.host === "string" ? a.host : undefined;
  const hb = typeof b.host === "string" ? b.host : undefined;
  push("host", hostCovers(hb, ha), hostCovers(ha, hb), `host ${ha ?? "any"} → ${hb ?? "any"}`);
  const hda = headersOf(a);
  const hdb = headersOf(b);
  const showHeaders = (h: Record<string, string>): string => {
    const e = Object.entries(h);
    return e.length === 0 ? "none" : e.map(([k, v]) => `${k}: ${v}`).join(", ");
  };
  push("headers", headersCover(hdb, hda), headersCover(hda, hdb), `headers ${showHeaders(hda)} → ${showHeaders(hdb)}`);
  const moa = list(a.model);
  const mob = list(b.model);
  push("model", modelsCover(mob, moa), modelsCover(moa, mob), `model ${show(moa, "any")} → ${show(mob, "any")}`);
  return out;
}

/** A path a request for this match would have (the exact path, the prefix itself, or `/`). */
function samplePath(match: JsonObject): string {
  const s = pathSetOf(match);
  return s.kind === "all" ? "/" : s.path;
}

/** Route precedence by path: exact, then the longest prefix, then a route without path. */
export function precedence(match: unknown): number {
  const s = pathSetOf(isPlainObject(match) ? match : {});
  return s.kind === "exact" ? Number.MAX_SAFE_INTEGER : s.kind === "prefix" ? s.path.length : 0;
}

/** Two header conditions can hold for one request unless they pin one header to disjoint values. */
function headersOverlap(x: Record<string, string>, y: Record<string, string>): boolean {
  return Object.entries(x).every(([name, glob]) => y[name] === undefined || globCovers(glob, y[name]!) || globCovers(y[name]!, glob));
}

function modelsOverlap(x: string[] | undefined, y: string[] | undefined): boolean {
  if (x === undefined || y === undefined) return true;
  return x.some((a) => y.some((b) => globCovers(a, b) || globCovers(b, a)));
}

interface IndexedRoute {
  route: JsonObject;
  order: number;
  precedence: number;
  methods: string[];
  host: string | undefined;
  headers: Record<string, string>;
  models: string[] | undefined;
}

/** A config's routes by the paths they take, so "who takes this path" does not scan every route. */
export interface RouteIndex {
  exact: Map<string, IndexedRoute[]>;
  prefix: Map<string, IndexedRoute[]>;
  all: IndexedRoute[];
}

export function indexRoutes(routes: readonly JsonObject[]): RouteIndex {
  const index: RouteIndex = { exact: new Map(), prefix: new Map(), all: [] };
  routes.forEach((route, order) => {
    const m = isPlainObject(route.match) ? route.match : {};
    const s = pathSetOf(m);
    const entry: IndexedRoute = {
      route,
      order,
      precedence: precedence(m),
      methods: list(m.methods) ?? ALL_METHODS,
      host: typeof m.host === "string" ? m.host : undefined,
      headers: headersOf(m),
      models: list(m.model),
    };
    if (s.kind === "all") index.all.push(entry);
    else {
      const map = s.kind === "exact" ? index.exact : index.prefix;
      map.set(s.path, [...(map.get(s.path) ?? []), entry]);
    }
  });
  return index;
}

/** `/a/b/c` → `/a/b/c`, `/a/b`, `/a`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p.length > 1; p = p.slice(0, Math.max(p.lastIndexOf("/"), 1))) out.push(p);
  return out;
}

/**
 * The routes that can take some of the requests `match` describes, best
 * precedence first (exact path, then the longest prefix, then file order):
 * a route's path must accept the match's own path (or prefix), and its
 * methods, host, header and model conditions must be able to hold together
 * with the match's. A heuristic for "where does this traffic go":
 * conditions are compared, not evaluated per request.
 */
export function routesOverlapping(index: RouteIndex, match: unknown): JsonObject[] {
  const m = isPlainObject(match) ? match : {};
  const path = samplePath(m);
  const methods = list(m.methods) ?? ALL_METHODS;
  const host = typeof m.host === "string" ? m.host : undefined;
  const headers = headersOf(m);
  const models = list(m.model);
  const candidates = [...(index.exact.get(path) ?? []), ...ancestors(path).flatMap((p) => index.prefix.get(p) ?? []), ...index.all];
  return candidates
    .filter(
      (r) =>
        r.methods.some((x) => methods.includes(x)) &&
        (hostCovers(r.host, host) || hostCovers(host, r.host)) &&
        headersOverlap(r.headers, headers) &&
        modelsOverlap(r.models, models),
    )
    .sort((a, b) => b.precedence - a.precedence || a.order - b.order)
    .map((r) => r.route);
}

/** `POST /v1/chat/completions model gpt-*`: what a route matches, in one line. */
export function describeMatch(match: unknown): string {
  const m = isPlainObject(match) ? match : {};
  const s = pathSetOf(m);
  const parts = [list(m.methods)?.join(",") ?? "*", s.kind === "all" ? "/*" : s.kind === "exact" ? s.path : `${s.path}/*`];
  if (typeof m.host === "string") parts.push(`host ${m.host}`);
  const h = headersOf(m);
  if (Object.keys(h).length > 0) parts.push(`headers ${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
  if (m.model !== undefined) parts.push(`model ${list(m.model)!.join(", ")}`);
  return parts.join(" ");
}
