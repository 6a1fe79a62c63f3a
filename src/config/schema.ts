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

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The gateway JSON Schema (schemas/gateway.schema.json), read when this module loads and frozen: a constant every reader shares. */
const schema = deepFreeze(JSON.parse(readFileSync(new URL("../../schemas/gateway.schema.json", import.meta.url), "utf8")) as SchemaNode);

export function gatewaySchema(): SchemaNode {
  return schema;
}

export function gatewaySchemaText(): string {
  return JSON.stringify(gatewaySchema(), null, 2) + "\n";
}

/**
 * Every `$ref` node of the schema with what it resolves to, worked out once
 * with the schema: config walks resolve a node per value, and a 10,000-route
 * config has hundreds of thousands of values.
 */
const resolvedRefs: ReadonlyMap<SchemaNode, SchemaNode> = new Map(refNodes(schema).map((node) => [node, Object.freeze(followRef(node))]));

/** Follows a local `$ref` (`#/$defs/name`) of the gateway schema. */
export function resolveRef(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  // A node from elsewhere (an ajv error's copy of the schema) is resolved on the spot.
  return resolvedRefs.get(node) ?? followRef(node);
}

function refNodes(node: unknown, out: SchemaNode[] = []): SchemaNode[] {
  if (typeof node !== "object" || node === null) return out;
  if (typeof (node as SchemaNode).$ref === "string") out.push(node as SchemaNode);
  for (const child of Object.values(node)) refNodes(child, out);
  return out;
}

function followRef(node: SchemaNode): SchemaNode {
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
  let cur: unknown = schema;
  for (const seg of ref.slice(2).split("/")) cur = (cur as Record<string, unknown>)[seg];
  if (cur === undefined) throw new Error(`dangling $ref ${ref}`);
  return cur as SchemaNode;
}

/** The name of the `$defs` entry a node refers to (`duration` for `#/$defs/duration`). */
export function refName(node: SchemaNode): string | undefined {
  return node.$ref?.startsWith("#/$defs/") === true ? node.$ref.slice("#/$defs/".length) : undefined;
}
