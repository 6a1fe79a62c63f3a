import { refName, resolveRef, type SchemaNode } from "./schema.js";
import type { Path } from "./pointer.js";

/** Returned by a visitor to let the walk go on into the value's children. */
export const DESCEND = Symbol("descend");

export type SchemaVisitor = (
  node: SchemaNode,
  refs: readonly string[],
  value: unknown,
  path: Path,
) => unknown | typeof DESCEND;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function accepts(node: SchemaNode, value: unknown): boolean {
  const s = resolveRef(node);
  const t = jsonType(value);
  if (s.enum !== undefined) return s.enum.includes(value as never);
  if (s.const !== undefined) return s.const === value;
  if (s.type === undefined) return true;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.includes(t) || (t === "integer" && types.includes("number"));
}

/** The branch of a `oneOf`/`anyOf` that describes `value`, if one does. */
function branchFor(node: SchemaNode, value: unknown): SchemaNode | undefined {
  const branches = node.oneOf ?? node.anyOf;
  if (branches === undefined) return undefined;
  if (node.discriminator !== undefined && isObject(value)) {
    const tag = value[node.discriminator.propertyName];
    return branches.find((b) => resolveRef(b).properties?.[node.discriminator!.propertyName]?.const === tag);
  }
  return branches.find((b) => accepts(b, value));
}

/**
 * Rebuilds `value` while walking it alongside its schema. The visitor sees
 * each value with its (resolved) schema node and the `$defs` names it came
 * through; it returns a replacement or DESCEND.
 */
export function mapWithSchema(value: unknown, node: SchemaNode, visit: SchemaVisitor, path: Path = []): unknown {
  const refs: string[] = [];
  const ref = refName(node);
  if (ref !== undefined) refs.push(ref);
  const resolved = resolveRef(node);
  const out = visit(resolved, refs, value, path);
  if (out !== DESCEND) return out;

  const branch = branchFor(resolved, value);
  if (branch !== undefined) return mapWithSchema(value, branch, visit, path);

  if (Array.isArray(value)) {
    const items = resolved.items;
    return items === undefined ? value : value.map((v, i) => mapWithSchema(v, items, visit, [...path, i]));
  }
  if (isObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub =
        resolved.properties?.[k] ??
        (typeof resolved.additionalProperties === "object" ? resolved.additionalProperties : undefined);
      result[k] = sub === undefined ? v : mapWithSchema(v, sub, visit, [...path, k]);
    }
    return result;
  }
  return value;
}
