import { readFileSync } from "node:fs";

/** A JSON Schema node, as far as aigw reads one. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
  discriminator?: { propertyName: string };
  "x-secret"?: boolean;
  [keyword: string]: unknown;
}

const schemaUrl = new URL("../../schemas/gateway.schema.json", import.meta.url);

let cachedSchema: SchemaNode | undefined;

/** The gateway JSON Schema (schemas/gateway.schema.json), read once. */
export function gatewaySchema(): SchemaNode {
  cachedSchema ??= JSON.parse(readFileSync(schemaUrl, "utf8")) as SchemaNode;
  return cachedSchema;
}

export function gatewaySchemaText(): string {
  return JSON.stringify(gatewaySchema(), null, 2) + "\n";
}

const resolvedRefs = new WeakMap<SchemaNode, SchemaNode>();

/** Follows a local `$ref` (`#/$defs/name`); results are cached per schema node (the schema never changes). */
export function resolveRef(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const cached = resolvedRefs.get(node);
  if (cached !== undefined) return cached;
  const resolved = resolveRefUncached(node);
  resolvedRefs.set(node, resolved);
  return resolved;
}

function resolveRefUncached(node: SchemaNode): SchemaNode {
  let cur = node;
  for (let i = 0; i < 16 && cur.$ref !== undefined; i++) {
    const target = lookupRef(cur.$ref);
    // Sibling keywords of $ref (description, default) stay with the referrer.
    const { $ref: _ref, ...siblings } = cur;
    cur = { ...target, ...siblings, $ref: target.$ref } as SchemaNode;
    if (target.$ref === undefined) delete cur.$ref;
  }
  return cur;
}

function lookupRef(ref: string): SchemaNode {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let cur: unknown = gatewaySchema();
  for (const seg of ref.slice(2).split("/")) cur = (cur as Record<string, unknown>)[seg];
  if (cur === undefined) throw new Error(`dangling $ref ${ref}`);
  return cur as SchemaNode;
}

/** The name of the `$defs` entry a node refers to (`duration` for `#/$defs/duration`). */
export function refName(node: SchemaNode): string | undefined {
  return node.$ref?.startsWith("#/$defs/") === true ? node.$ref.slice("#/$defs/".length) : undefined;
}
