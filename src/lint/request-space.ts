/**
 * The requests a route accepts once its path applies, as a box: a set of
 * methods × a set of hosts × a set per header × a set of models. The
 * dimensions are independent, so whether earlier routes take every request
 * of a later one is a question about boxes, answered exactly by splitting
 * the later box into regions along one dimension at a time.
 */
import type { CompiledRoute } from "../compile/route.js";
import { ANY_VALUE, Budget, globSet, hostSet, intersectSets, intersects, isEmptySet, regions, type StrSet } from "./glob-lang.js";

/** The methods a route may list; any other method is only taken by routes without `methods`. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const OTHER_METHOD = "(other)";
const ALL_METHOD_ATOMS: readonly string[] = [...METHODS, OTHER_METHOD];

export interface RequestBox {
  /** Method atoms; null = every method. */
  readonly methods: ReadonlySet<string> | null;
  readonly host: StrSet;
  /** By lower-case header name; a header not named is unconstrained. */
  readonly headers: ReadonlyMap<string, StrSet>;
  readonly model: StrSet;
}

export function boxOf(route: CompiledRoute): RequestBox {
  const match = route.source.match;
  const headers = new Map<string, StrSet>();
  for (const [name, value] of Object.entries(match.headers ?? {})) {
    const key = name.toLowerCase();
    headers.set(key, intersectSets(headers.get(key) ?? ANY_VALUE, globSet([value])));
  }
  const models = match.model === undefined ? undefined : Array.isArray(match.model) ? match.model : [match.model];
  return {
    methods: match.methods === undefined ? null : new Set(match.methods),
    host: match.host === undefined ? ANY_VALUE : hostSet(match.host),
    headers,
    model: models === undefined ? ANY_VALUE : globSet(models),
  };
}

type Dimension = { kind: "method" } | { kind: "host" } | { kind: "header"; name: string } | { kind: "model" };

function dimensionsOf(boxes: readonly RequestBox[]): Dimension[] {
  const names = new Set<string>();
  for (const b of boxes) for (const n of b.headers.keys()) names.add(n);
  return [{ kind: "method" }, { kind: "host" }, ...[...names].sort().map((name): Dimension => ({ kind: "header", name })), { kind: "model" }];
}

function setOf(box: RequestBox, dim: Dimension): StrSet {
  if (dim.kind === "host") return box.host;
  if (dim.kind === "model") return box.model;
  if (dim.kind === "header") return box.headers.get(dim.name) ?? ANY_VALUE;
  throw new Error("methods are not a string set");
}

function methodAtoms(box: RequestBox): readonly string[] {
  return box.methods === null ? ALL_METHOD_ATOMS : [...box.methods];
}

/** For each region of `subject` along `dim`: which of `others` hold it (indices). */
function splitAlong(dim: Dimension, subject: RequestBox, others: readonly RequestBox[], budget: Budget): number[][] {
  const groups = new Map<string, number[]>();
  const add = (inside: readonly boolean[]): void => {
    const idx = inside.flatMap((x, i) => (x ? [i] : []));
    groups.set(idx.join(","), idx);
  };
  if (dim.kind === "method") {
    for (const atom of methodAtoms(subject)) add(others.map((o) => o.methods === null || o.methods.has(atom)));
  } else {
    for (const r of regions(setOf(subject, dim), others.map((o) => setOf(o, dim)), budget)) add(r.inside);
  }
  return [...groups.values()];
}

/**
 * Whether every request in `subject` is in at least one of `others`. Exact;
 * throws GiveUp past the budget. An empty subject is covered.
 */
export function coveredBy(subject: RequestBox, others: readonly RequestBox[], budget: Budget): boolean {
  const dims = dimensionsOf([subject, ...others]);
  const walk = (d: number, candidates: readonly RequestBox[]): boolean => {
    if (candidates.length === 0) return false;
    if (d === dims.length) return true;
    for (const group of splitAlong(dims[d]!, subject, candidates, budget)) {
      if (!walk(d + 1, group.map((i) => candidates[i]!))) return false;
    }
    return true;
  };
  return walk(0, others);
}

/** Whether some request is in both boxes, on every dimension but `except`. */
export function overlaps(a: RequestBox, b: RequestBox, budget: Budget, except?: "model"): boolean {
  if (a.methods !== null && b.methods !== null && ![...a.methods].some((m) => b.methods!.has(m))) return false;
  for (const dim of dimensionsOf([a, b])) {
    if (dim.kind === "method" || (except !== undefined && dim.kind === except)) continue;
    if (!intersects(setOf(a, dim), setOf(b, dim), budget)) return false;
  }
  return true;
}

/** Whether no request at all satisfies the box (a condition that can never hold). */
export function isEmptyBox(box: RequestBox, budget: Budget): boolean {
  if (box.methods !== null && box.methods.size === 0) return true;
  for (const dim of dimensionsOf([box])) if (dim.kind !== "method" && isEmptySet(setOf(box, dim), budget)) return true;
  return false;
}
