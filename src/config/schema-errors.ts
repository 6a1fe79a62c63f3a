import type { ErrorObject } from "ajv";
import { displayPath, fromPointer, toPointer, type Path } from "./pointer.js";
import { Provenance } from "./provenance.js";
import { redact } from "./redact.js";
import { resolveRef, type SchemaNode } from "./schema.js";
import type { Reporter } from "./source.js";
import { didYouMean, suggest } from "./suggest.js";

/** One ajv error, with what every finding about it needs. */
interface Failure {
  readonly e: ErrorObject;
  readonly r: Reporter;
  readonly secrets: ReadonlySet<string>;
  readonly path: Path;
  /** The path as a person reads it. */
  readonly where: string;
  readonly parent: SchemaNode | undefined;
  readonly p: Record<string, unknown>;
}

/** Reports the finding for one ajv error: a message in YAML terms, a stable rule id, and a hint where one helps. */
export function describeSchemaError(e: ErrorObject, r: Reporter, secrets: ReadonlySet<string>): void {
  const path = fromPointer(e.instancePath);
  const f: Failure = { e, r, secrets, path, where: displayPath(path), parent: e.parentSchema as SchemaNode | undefined, p: e.params as Record<string, unknown> };
  (DESCRIBERS[e.keyword] ?? invalid)(f);
}

/** The error's value as a finding may quote it (see `show`). */
function quoted(f: Failure): string {
  return show(f.e.data, f.parent, f.secrets, f.e.instancePath);
}

function unknownKey({ r, path, where, parent, p }: Failure): void {
  const key = String(p.additionalProperty ?? p.unevaluatedProperty);
  const allowed = Object.keys(parent?.properties ?? {});
  const hint = suggest(key, allowed) === undefined && allowed.length > 0 ? `allowed keys: ${allowed.join(", ")}` : undefined;
  r.report("error", "schema.unknown-key", [...path, key], `unknown key ${JSON.stringify(key)} in ${where}${didYouMean(key, allowed)}`, {
    key: true,
    ...(hint === undefined ? {} : { hint }),
  });
}

function missingKey({ r, path, where, parent, p }: Failure): void {
  const key = String(p.missingProperty);
  r.report("error", "schema.required", path, `${where} is missing the required key ${JSON.stringify(key)}`, {
    ...(describeKey(parent, key) ?? {}),
  });
}

function wrongType({ e, r, path, where, p }: Failure): void {
  const expected = String(p.type)
    .split(",")
    .map((t) => article[t] ?? t)
    .join(" or ");
  r.report("error", "schema.type", path, `${where} must be ${expected}, got ${typeName(e.data)}`);
}

function notAllowed(f: Failure): void {
  const { e, r, path, where, p, secrets } = f;
  const allowed = (p.allowedValues as unknown[] | undefined) ?? [];
  if (e.data === "none" && /^\/auth\/\d+\/algorithms\/\d+$/.test(e.instancePath)) {
    r.report("error", "auth.jwt.algorithm.none", path, `JWT algorithm "none" is never accepted: such tokens carry no signature`, {
      hint: "list the algorithms your issuer signs with, e.g. RS256 or ES256",
    });
    return;
  }
  // A suggestion near a value from the environment would tell what the value is.
  const dym = typeof e.data === "string" && !fromEnv(secrets, e.instancePath) ? didYouMean(e.data, allowed.map(String)) : "";
  r.report("error", "schema.enum", path, `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}; got ${quoted(f)}${dym}`);
}

function notConst(f: Failure): void {
  f.r.report("error", "schema.const", f.path, `${f.where} must be ${JSON.stringify(f.p.allowedValue)}, got ${quoted(f)}`);
}

/** A tagged union (`type: jwt`, a plugin's `name`) whose tag is unknown, not a string, or missing. */
function badTag({ e, r, path, where, parent, p, secrets }: Failure): void {
  const tag = String(p.tag);
  const at = [...path, tag];
  if (p.error === "mapping") {
    const branches = (parent?.oneOf ?? []).map((b) => String(resolveRef(b).properties?.[tag]?.const));
    const pointer = toPointer(at);
    const dym = fromEnv(secrets, pointer) ? "" : didYouMean(String(p.tagValue), branches);
    r.report("error", "schema.enum", at, `${displayPath(at)} must be one of ${branches.map((b) => JSON.stringify(b)).join(", ")}; got ${show(p.tagValue, undefined, secrets, pointer)}${dym}`);
  } else if (e.data !== null && typeof e.data === "object" && tag in (e.data as object)) {
    r.report("error", "schema.type", at, `${displayPath(at)} must be a string, got ${typeName((e.data as Record<string, unknown>)[tag])}`);
  } else {
    r.report("error", "schema.required", path, `${where} is missing the required key ${JSON.stringify(tag)}`);
  }
}

function patternMismatch(f: Failure): void {
  const { e, r, path, where, parent } = f;
  const value = quoted(f);
  if (e.schemaPath.includes("/$defs/duration/")) {
    r.report("error", "schema.duration", path, `${where} ${value} is not a duration`, {
      hint: "write a number with a unit: 500ms, 10s, 1m, 1h, 1d (units may be combined: 1h30m)",
    });
  } else if (e.schemaPath.includes("/$defs/name/")) {
    r.report("error", "schema.name", path, `${where} ${value} is not a valid name`, {
      hint: "names use letters, digits, `.`, `_` and `-`, start with a letter or digit, and have at most 63 characters",
    });
  } else {
    const d = parent?.description;
    r.report("error", "schema.pattern", path, `${where} ${value} is not valid`, d === undefined ? {} : { hint: d });
  }
}

function badFormat(f: Failure): void {
  f.r.report("error", "schema.format", f.path, `${f.where} ${quoted(f)} is not a valid ${String(f.p.format)}`);
}

function outOfRange(f: Failure): void {
  f.r.report("error", "schema.range", f.path, `${f.where} must be ${String(f.p.comparison)} ${String(f.p.limit)}, got ${quoted(f)}`);
}

function wrongLength({ e, r, path, where, p }: Failure): void {
  r.report("error", "schema.length", path, e.keyword === "minLength" && p.limit === 1 ? `${where} must not be empty` : `${where} ${e.message ?? "has the wrong length"}`);
}

function wrongCount({ e, r, path, where, p }: Failure): void {
  r.report("error", "schema.items", path, `${where} must have ${e.keyword === "minItems" ? "at least" : "at most"} ${String(p.limit)} item(s)`);
}

function repeated({ r, path, where, p }: Failure): void {
  r.report("error", "schema.unique", [...path, Number(p.i)], `${where} lists the same item twice (items ${Number(p.j) + 1} and ${Number(p.i) + 1})`);
}

function badKeyName({ r, path, where, p }: Failure): void {
  r.report("error", "schema.pattern", [...path, String(p.propertyName)], `${where} has an invalid key ${JSON.stringify(p.propertyName)}`, { key: true });
}

function noAlternative({ e, r, path, where, parent }: Failure): void {
  const alternatives = ((parent?.anyOf ?? parent?.oneOf) as SchemaNode[] | undefined) ?? [];
  r.report("error", "schema.type", path, `${where} must be ${alternatives.map(describeAlternative).join(", or ")}; got ${typeName(e.data)}`);
}

function invalid({ e, r, path, where }: Failure): void {
  r.report("error", "schema.invalid", path, `${where} ${e.message ?? "is invalid"}`);
}

/** ajv keyword → the finding it becomes; any other keyword is `schema.invalid`. */
const DESCRIBERS: Readonly<Record<string, (f: Failure) => void>> = {
  additionalProperties: unknownKey,
  unevaluatedProperties: unknownKey,
  required: missingKey,
  type: wrongType,
  enum: notAllowed,
  const: notConst,
  discriminator: badTag,
  pattern: patternMismatch,
  format: badFormat,
  minimum: outOfRange,
  maximum: outOfRange,
  exclusiveMinimum: outOfRange,
  exclusiveMaximum: outOfRange,
  minLength: wrongLength,
  maxLength: wrongLength,
  minItems: wrongCount,
  maxItems: wrongCount,
  uniqueItems: repeated,
  propertyNames: badKeyName,
  anyOf: noAlternative,
  oneOf: noAlternative,
};

/** Whether the value at `pointer` (or any value inside it) came from the environment. */
function fromEnv(secrets: ReadonlySet<string>, pointer: string): boolean {
  return secrets instanceof Provenance && secrets.covers(pointer);
}

/** A value as a finding quotes it: never a secret field's, never one that came from `${}`. */
function show(value: unknown, node: SchemaNode | undefined, secrets: ReadonlySet<string>, pointer: string): string {
  if (node?.["x-secret"] === true) return "<redacted>";
  if (fromEnv(secrets, pointer)) return typeof value === "string" ? redact(value) : "<redacted>";
  let text: string;
  try {
    // undefined (and functions) have no JSON text: JSON.stringify answers undefined.
    text = (JSON.stringify(value) as string | undefined) ?? String(value);
  } catch {
    text = String(value);
  }
  if (secrets instanceof Provenance) text = secrets.scrub(text);
  else for (const s of secrets) if (text.includes(s)) return "<redacted>";
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** How a finding names the type of a value: `a list`, `a mapping`, `an integer`, … */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return `a ${typeof value}`;
}

const article: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  null: "null",
};

function describeAlternative(node: SchemaNode): string {
  const s = resolveRef(node);
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(", ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  const base = types.map((t) => article[t] ?? t).join(" or ");
  if (s.type === "array" && s.items !== undefined) return `a list of ${describeAlternative(s.items).replace(/^an? /, "")}s`;
  return base || "a value";
}

function describeKey(parent: SchemaNode | undefined, key: string): { hint: string } | undefined {
  const prop = parent?.properties?.[key];
  if (prop === undefined) return undefined;
  const d = resolveRef(prop).description;
  return d === undefined ? undefined : { hint: `${key}: ${d}` };
}
