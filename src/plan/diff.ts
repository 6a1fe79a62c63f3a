import { isPlainObject, isRedacted, isUnordered, joinPath, valuesEqual, type JsonObject } from "./compare.js";

/**
 * The semantic diff of two canonical configs (DESIGN.md 10): objects, not
 * lines. Named objects are matched by name (pricing by `model`), so moving
 * a route in the file is no change; the other top-level sections (`server`,
 * `state`, `observability`, `gateway`, `defaults`, `lint`, `version`) are
 * objects of kind `server` named after their key; `gateway.plugins` entries
 * are objects of kind `plugin`; a route's own plugins are fields of the route.
 */

export type ChangeKind = "route" | "upstream" | "auth" | "consumer" | "rateLimit" | "plugin" | "server" | "pricing";
export type ChangeAction = "add" | "change" | "remove";
export type Risk = "high" | "medium" | "low";

/** One field: `before`/`after` are null where the field is absent. */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface Change {
  kind: ChangeKind;
  name: string;
  action: ChangeAction;
  risk: Risk;
  fields: FieldChange[];
  notes: string[];
}

export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
  highRisk: number;
}

/** The JSON shape of `diff` and `plan` (DESIGN.md 10). */
export interface PlanResult {
  summary: PlanSummary;
  changes: Change[];
}

/** A change with the bodies behind it, for risk assessment. */
export interface DiffEntry {
  change: Change;
  /** The object in the old config (absent for `add`). */
  before: JsonObject | undefined;
  /** The object in the new config (absent for `remove`). */
  after: JsonObject | undefined;
  /** The object's name in the old config, when it was renamed. */
  renamedFrom: string | undefined;
}

/** Display order of kinds (DESIGN.md 7: route, upstream, auth, policy, consumer), then the rest. */
export const KIND_ORDER: readonly ChangeKind[] = ["route", "upstream", "auth", "rateLimit", "consumer", "plugin", "pricing", "server"];

/** Named collections at the top level: key → kind and the field that names an entry. */
export const COLLECTIONS: readonly { key: string; kind: ChangeKind; id: string }[] = [
  { key: "routes", kind: "route", id: "name" },
  { key: "upstreams", kind: "upstream", id: "name" },
  { key: "auth", kind: "auth", id: "name" },
  { key: "consumers", kind: "consumer", id: "name" },
  { key: "rateLimits", kind: "rateLimit", id: "name" },
  { key: "pricing", kind: "pricing", id: "model" },
];

/** Fields that identify an entry of a list of objects, tried in order. */
const ITEM_IDS = ["name", "id", "url", "upstream", "model"];

/** Named entries of a list; a repeated name gets `#2`, `#3`. */
export function byName(list: unknown, id: string): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    if (!isPlainObject(item)) continue;
    const base = String(item[id] ?? "?");
    let name = base;
    for (let n = 2; out.has(name); n++) name = `${base}#${n}`;
    out.set(name, item);
  }
  return out;
}

/** The objects of a canonical config, by kind and name. */
export function objectsOf(config: JsonObject): Map<ChangeKind, Map<string, JsonObject>> {
  const out = new Map<ChangeKind, Map<string, JsonObject>>(KIND_ORDER.map((k) => [k, new Map()]));
  for (const c of COLLECTIONS) out.set(c.kind, byName(config[c.key], c.id));
  const gateway = config.gateway;
  if (isPlainObject(gateway)) out.set("plugin", byName(gateway.plugins, "name"));
  const sections = out.get("server")!;
  for (const key of Object.keys(config).sort()) {
    if (COLLECTIONS.some((c) => c.key === key) || key === "$schema") continue;
    let value = config[key];
    if (key === "gateway" && isPlainObject(value)) {
      const { plugins: _plugins, ...rest } = value;
      value = rest;
    }
    sections.set(key, isPlainObject(value) ? value : { [key]: value });
  }
  return out;
}

function idOf(kind: ChangeKind): string {
  return COLLECTIONS.find((c) => c.kind === kind)?.id ?? "name";
}

/** Field changes between two values at `path`; notes which secrets changed. */
export function diffValues(a: unknown, b: unknown, path: string, out: FieldChange[], secrets: string[], key?: string): void {
  if (valuesEqual(a, b, key)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffValues(a[k], b[k], joinPath(path, k), out, secrets, k);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && !isUnordered(key) && (a.some(isPlainObject) || b.some(isPlainObject))) {
    diffObjectList(a, b, path, out, secrets);
    return;
  }
  out.push({ path, before: a ?? null, after: b ?? null });
  if (isRedacted(a) && isRedacted(b)) secrets.push(path);
}

/** The field naming every item of both lists, uniquely, if there is one. */
function itemId(a: unknown[], b: unknown[]): string | undefined {
  return ITEM_IDS.find((id) =>
    [a, b].every((list) => {
      const seen = new Set<string>();
      for (const item of list) {
        const v = isPlainObject(item) ? item[id] : undefined;
        if (typeof v !== "string" || seen.has(v)) return false;
        seen.add(v);
      }
      return true;
    }),
  );
}

/**
 * Lists of objects: items are matched by their id (`name`, `id`, `url`,
 * `upstream`, `model`) when every item has a unique one, so inserting a
 * target does not show every later target as changed; an unmatched old and
 * new item at the same index are one item edited in place
 * (`targets[0].url: a → b`). A changed order of matched items is one field
 * change of the ids. Without ids, items are compared by index.
 */
function diffObjectList(a: unknown[], b: unknown[], path: string, out: FieldChange[], secrets: string[]): void {
  const id = itemId(a, b);
  if (id === undefined) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out, secrets);
    return;
  }
  const key = (item: unknown): string => (item as JsonObject)[id] as string;
  const oldIndex = new Map(a.map((item, i) => [key(item), i]));
  const pairs: [number, number][] = [];
  const unmatchedNew: number[] = [];
  b.forEach((item, j) => {
    const i = oldIndex.get(key(item));
    if (i === undefined) unmatchedNew.push(j);
    else pairs.push([i, j]);
  });
  const matchedOld = new Set(pairs.map(([i]) => i));
  const unmatchedOld = a.map((_, i) => i).filter((i) => !matchedOld.has(i));
  const inPlace = unmatchedOld.filter((i) => unmatchedNew.includes(i));
  const sequence = pairs.map(([i]) => key(a[i]));
  const oldSequence = [...sequence].sort((x, y) => oldIndex.get(x)! - oldIndex.get(y)!);
  if (sequence.join("\u0000") !== oldSequence.join("\u0000")) out.push({ path: `${path}[*].${id}`, before: oldSequence, after: sequence });
  const edits: [number, number][] = [...pairs, ...inPlace.map((i): [number, number] => [i, i])].sort((x, y) => x[1] - y[1]);
  for (const [i, j] of edits) diffValues(a[i], b[j], `${path}[${j}]`, out, secrets);
  for (const i of unmatchedOld) if (!inPlace.includes(i)) out.push({ path: `${path}[${i}]`, before: a[i], after: null });
  for (const j of unmatchedNew) if (!inPlace.includes(j)) out.push({ path: `${path}[${j}]`, before: null, after: b[j] });
}

/** The fields of a whole object that appears or disappears, one per top-level key. */
function wholeFields(body: JsonObject, kind: ChangeKind, side: "before" | "after"): FieldChange[] {
  const skip = kind === "server" ? undefined : idOf(kind);
  return Object.keys(body)
    .filter((k) => k !== skip)
    .sort()
    .map((k) => ({ path: joinPath("", k), before: side === "before" ? body[k] : null, after: side === "after" ? body[k] : null }));
}

function withoutId(body: JsonObject, id: string): JsonObject {
  const { [id]: _id, ...rest } = body;
  return rest;
}

/**
 * Pairs removed and added objects whose bodies are equal but for the name.
 * Exact text first (a map, so large configs stay fast); bodies holding an
 * unresolved `${VAR}` are then compared as patterns, pair by pair.
 */
function findRenames(a: Map<string, JsonObject>, b: Map<string, JsonObject>, removed: string[], added: string[], id: string): Map<string, string> {
  const renames = new Map<string, string>();
  const byBody = new Map<string, string[]>();
  const bodies = new Map<string, string>();
  for (const r of removed) {
    const text = JSON.stringify(withoutId(a.get(r)!, id));
    bodies.set(r, text);
    byBody.set(text, [...(byBody.get(text) ?? []), r]);
  }
  const pending: string[] = [];
  for (const n of added) {
    const from = byBody.get(JSON.stringify(withoutId(b.get(n)!, id)))?.shift();
    if (from !== undefined) renames.set(from, n);
    else pending.push(n);
  }
  const templated = (text: string): boolean => text.includes("${");
  for (const n of pending) {
    const body = withoutId(b.get(n)!, id);
    const mine = templated(JSON.stringify(body));
    const from = removed.find((r) => !renames.has(r) && (mine || templated(bodies.get(r)!)) && valuesEqual(withoutId(a.get(r)!, id), body));
    if (from !== undefined) renames.set(from, n);
  }
  return renames;
}

function change(kind: ChangeKind, name: string, action: ChangeAction, fields: FieldChange[], notes: string[]): Change {
  return { kind, name, action, risk: "low", fields, notes };
}

/**
 * Diffs two canonical configs. Within each kind, an added and a removed
 * object whose bodies are equal but for the name are one rename: a
 * `change` with a `name` field and the note "renamed from X" (not for
 * plugins, whose name is what they are, nor for sections).
 */
export function diffConfigs(oldConfig: JsonObject, newConfig: JsonObject): DiffEntry[] {
  const before = objectsOf(oldConfig);
  const after = objectsOf(newConfig);
  const entries: DiffEntry[] = [];
  for (const kind of KIND_ORDER) {
    const a = before.get(kind)!;
    const b = after.get(kind)!;
    const id = idOf(kind);
    const removed = [...a.keys()].filter((n) => !b.has(n));
    const added = [...b.keys()].filter((n) => !a.has(n));
    const renames = kind === "plugin" || kind === "server" ? new Map<string, string>() : findRenames(a, b, removed, added, id);
    const renamedTo = new Set(renames.values());
    for (const [name, body] of b) {
      const old = a.get(name);
      if (old !== undefined) {
        const fields: FieldChange[] = [];
        const secrets: string[] = [];
        diffValues(old, body, "", fields, secrets);
        if (fields.length > 0) {
          entries.push({ change: change(kind, name, "change", fields, secrets.map((p) => `${p}: secret changed`)), before: old, after: body, renamedFrom: undefined });
        }
      } else if (renamedTo.has(name)) {
        const from = [...renames].find(([, to]) => to === name)![0];
        const fields: FieldChange[] = [{ path: id, before: from, after: name }];
        entries.push({ change: change(kind, name, "change", fields, [`renamed from ${from}`]), before: a.get(from), after: body, renamedFrom: from });
      } else {
        entries.push({ change: change(kind, name, "add", wholeFields(body, kind, "after"), []), before: undefined, after: body, renamedFrom: undefined });
      }
    }
    for (const name of removed) {
      if (renames.has(name)) continue;
      const body = a.get(name)!;
      entries.push({ change: change(kind, name, "remove", wholeFields(body, kind, "before"), []), before: body, after: undefined, renamedFrom: undefined });
    }
  }
  return entries.sort(
    (x, y) => KIND_ORDER.indexOf(x.change.kind) - KIND_ORDER.indexOf(y.change.kind) || (x.change.name < y.change.name ? -1 : x.change.name > y.change.name ? 1 : 0),
  );
}

/** The counts of a list of changes. */
export function summarize(changes: readonly Change[]): PlanSummary {
  return {
    add: changes.filter((c) => c.action === "add").length,
    change: changes.filter((c) => c.action === "change").length,
    remove: changes.filter((c) => c.action === "remove").length,
    highRisk: changes.filter((c) => c.risk === "high").length,
  };
}
