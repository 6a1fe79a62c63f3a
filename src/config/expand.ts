import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type Node as YamlNode, type Pair, type Scalar, type YAMLMap } from "yaml";
import type { Path } from "./pointer.js";

/** Nodes that aliases (and merge keys) may add to a document, beyond those written in it. */
export const MAX_EXPANDED_NODES = 1_000_000;
/** Characters of scalar text that aliases (and merge keys) may add to a document. */
export const MAX_EXPANDED_CHARS = 32 * 1024 * 1024;

export interface ExpansionLimits {
  nodes: number;
  chars: number;
}

/** Why a document cannot be expanded, and the node to point at. */
export type ExpansionProblem =
  | { kind: "too-large"; at: YamlNode; nodes: number; chars: number }
  | { kind: "cycle"; at: YamlNode }
  | { kind: "unresolved"; at: Alias };

interface Frame {
  node: unknown;
  key: string | number | null;
  parent: Frame | null;
  /** The outermost alias this node is reached through (null: written where it is). */
  alias: YamlNode | null;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** A `<<` key (yaml's merge), as the parser leaves it with `merge: true` or as plain text. */
export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === "<<" || (typeof v === "symbol" && v.description === "<<");
}

function pathOf(frame: Frame): Path {
  const out: (string | number)[] = [];
  for (let f: Frame | null = frame; f !== null && f.key !== null; f = f.parent) out.push(f.key);
  return out.reverse();
}

function onChain(frame: Frame | null, node: unknown): boolean {
  for (let f = frame; f !== null; f = f.parent) if (f.node === node) return true;
  return false;
}

/**
 * Each alias's target: the last node before it with that anchor (what
 * `Alias.resolve` finds, in one pass over the document instead of one pass
 * per alias).
 */
function aliasTargets(doc: Document): Map<Alias, YamlNode> {
  const targets = new Map<Alias, YamlNode>();
  const anchors = new Map<string, YamlNode>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target !== undefined) targets.set(node, target);
      } else if (node.anchor !== undefined) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

interface Entry {
  value: unknown;
  /** The merge that brought the pair in (null: written in the map). */
  via: YamlNode | null;
}

/**
 * The pairs of mappings once merge keys (`<<: *base`) are applied as
 * yaml's toJS applies them: a key written in the map wins, then the first
 * merged map that has it. Computed once per mapping. A mapping that merges
 * itself, directly or through others, has none (null: a cycle).
 */
class MergedPairs {
  private readonly done = new Map<YAMLMap, Map<string, Entry> | null>();
  private readonly merging = new Set<YAMLMap>();

  constructor(private readonly targets: Map<Alias, YamlNode>) {}

  /** The maps `map` merges directly. */
  sources(map: YAMLMap): YAMLMap[] {
    const out: YAMLMap[] = [];
    for (const pair of map.items as Pair[]) {
      if (!isMergeKey(pair.key)) continue;
      for (const item of isSeq(pair.value) ? pair.value.items : [pair.value]) {
        const source = isAlias(item) ? this.targets.get(item) : item;
        if (isMap(source)) out.push(source); // anything else: toJS reports it
      }
    }
    return out;
  }

  of(map: YAMLMap): Map<string, Entry> | null {
    const known = this.done.get(map);
    if (known !== undefined) return known;
    if (this.merging.has(map)) return null;
    this.merging.add(map);
    const pairs = new Map<string, Entry>();
    const fromMerge: [string, Entry][] = [];
    let cycle = false;
    for (const pair of map.items as Pair[]) {
      if (!isMergeKey(pair.key)) {
        pairs.set(keyText(pair.key), { value: pair.value, via: null });
        continue;
      }
      for (const item of isSeq(pair.value) ? pair.value.items : [pair.value]) {
        const source = isAlias(item) ? this.targets.get(item) : item;
        if (!isMap(source)) continue;
        const inner = this.of(source);
        if (inner === null) cycle = true;
        else for (const [k, e] of inner) fromMerge.push([k, { value: e.value, via: e.via ?? ((isAlias(item) ? item : source) as YamlNode) }]);
      }
    }
    this.merging.delete(map);
    for (const [k, e] of fromMerge) if (!pairs.has(k)) pairs.set(k, e);
    const result = cycle ? null : pairs;
    this.done.set(map, result);
    return result;
  }
}

/**
 * Walks a parsed document as it will be converted to data: aliases
 * followed, merge keys applied. Calls `onScalar` for every scalar reached,
 * with its path in the data (so a scalar reached through three aliases is
 * seen three times, at three paths). Stops at the first problem: an alias
 * inside the node it names (the data would be circular), or aliases adding
 * more than `limits` nodes or characters (the data would be huge while the
 * file is small: yaml's own alias count misses an alias of a large scalar
 * or of a map without aliases inside). Iterative: nesting depth costs no
 * stack.
 */
export function walkExpanded(
  doc: Document,
  onScalar: (node: Scalar, path: () => Path) => void,
  limits: ExpansionLimits = { nodes: MAX_EXPANDED_NODES, chars: MAX_EXPANDED_CHARS },
): ExpansionProblem | null {
  let nodes = 0;
  let chars = 0;
  const targets = aliasTargets(doc);
  const merged = new MergedPairs(targets);
  const stack: Frame[] = [{ node: doc.contents, key: null, parent: null, alias: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    let node = frame.node;
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) return { kind: "unresolved", at: node };
      if (onChain(frame.parent, target)) return { kind: "cycle", at: node };
      frame.alias ??= node;
      frame.node = node = target;
    }
    const added = frame.alias !== null;
    if (added) nodes++;
    if (isScalar(node)) {
      if (added && typeof node.value === "string") chars += node.value.length;
      onScalar(node, () => pathOf(frame));
    } else if (isMap(node) && !(node.items as Pair[]).some((p) => isMergeKey(p.key))) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i] as Pair;
        const key = keyText(pair.key);
        if (added) chars += key.length;
        stack.push({ node: pair.value, key, parent: frame, alias: frame.alias });
      }
    } else if (isMap(node)) {
      const pairs = merged.of(node);
      if (pairs === null || merged.sources(node).some((source) => onChain(frame, source))) return { kind: "cycle", at: frame.alias ?? (node as YamlNode) };
      for (const [key, { value, via }] of pairs) {
        // A merged pair is a copy, like an alias.
        const alias = frame.alias ?? via;
        if (alias !== null) {
          nodes++;
          chars += key.length;
        }
        stack.push({ node: value, key, parent: frame, alias });
      }
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], key: i, parent: frame, alias: frame.alias });
    }
    if (nodes > limits.nodes || chars > limits.chars) return { kind: "too-large", at: frame.alias ?? (node as YamlNode), nodes, chars };
  }
  return null;
}
