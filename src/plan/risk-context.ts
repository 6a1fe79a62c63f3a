import { isPlainObject, type JsonObject } from "./compare.js";
import { objectsOf, type ChangeKind, type DiffEntry, type Risk } from "./diff.js";
import { indexRoutes, type RouteIndex } from "./match.js";

/** What risk rules read: both configs, their objects by kind and name, and the renames found. */
export interface RiskContext {
  old: JsonObject;
  new: JsonObject;
  before: Map<ChangeKind, Map<string, JsonObject>>;
  after: Map<ChangeKind, Map<string, JsonObject>>;
  /** Per kind, old name → new name. */
  renames: Map<ChangeKind, Map<string, string>>;
  /** The routes of each side by path. */
  routeIndex: { before: RouteIndex; after: RouteIndex };
  /** Position of each route in the new config's file order. */
  routeOrder: Map<string, number>;
}

export function riskContext(oldConfig: JsonObject, newConfig: JsonObject, entries: readonly DiffEntry[]): RiskContext {
  const renames = new Map<ChangeKind, Map<string, string>>();
  for (const e of entries) {
    if (e.renamedFrom === undefined) continue;
    if (!renames.has(e.change.kind)) renames.set(e.change.kind, new Map());
    renames.get(e.change.kind)!.set(e.renamedFrom, e.change.name);
  }
  const before = objectsOf(oldConfig);
  const after = objectsOf(newConfig);
  return {
    old: oldConfig,
    new: newConfig,
    before,
    after,
    renames,
    routeIndex: { before: indexRoutes([...before.get("route")!.values()]), after: indexRoutes([...after.get("route")!.values()]) },
    routeOrder: new Map([...after.get("route")!.keys()].map((name, i) => [name, i])),
  };
}

/** The name an old object has in the new config. */
export function renamed(ctx: RiskContext, kind: ChangeKind, name: string): string {
  return ctx.renames.get(kind)?.get(name) ?? name;
}

const RANK: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

/** A change's risk and its consequences in words, raised as rules fire. */
export class Assessment {
  risk: Risk = "low";
  readonly notes: string[] = [];

  note(text: string, risk: Risk = "low"): void {
    if (RANK[risk] > RANK[this.risk]) this.risk = risk;
    if (!this.notes.includes(text)) this.notes.push(text);
  }
}

export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export type Use = "upstream" | "split" | "fallback";

/** The routes of a config that send traffic to `upstream`, and how. */
export function routesUsingUpstream(routes: ReadonlyMap<string, JsonObject>, upstream: string): { route: string; use: Use }[] {
  const out: { route: string; use: Use }[] = [];
  for (const [name, r] of routes) {
    if (r.upstream === upstream) out.push({ route: name, use: "upstream" });
    if (Array.isArray(r.split) && r.split.some((s) => isPlainObject(s) && s.upstream === upstream)) out.push({ route: name, use: "split" });
    if (strings(r.fallback).includes(upstream)) out.push({ route: name, use: "fallback" });
  }
  return out;
}

/** Names of objects whose list field `field` names `name`. */
export function referrers(objects: ReadonlyMap<string, JsonObject>, field: string, name: string): string[] {
  return [...objects].filter(([, o]) => strings(o[field]).includes(name)).map(([n]) => n);
}

/** `a, b, c and 4 more`. */
export function names(list: readonly string[], max = 5): string {
  if (list.length <= max) return list.join(", ");
  return `${list.slice(0, max).join(", ")} and ${list.length - max} more`;
}

/** Where a route sends traffic: `openai`, or `openai 90, claude 10`. */
export function destinationOf(route: JsonObject | undefined): string {
  if (route === undefined) return "(nothing)";
  if (typeof route.upstream === "string") return route.upstream;
  if (Array.isArray(route.split)) return route.split.map((s) => (isPlainObject(s) ? `${String(s.upstream)} ${String(s.weight)}` : "?")).join(", ");
  return "(nothing)";
}

export function isPublic(route: JsonObject): boolean {
  return strings(route.auth).length === 0;
}
