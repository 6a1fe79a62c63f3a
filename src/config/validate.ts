import type { ErrorObject } from "ajv";
import { hasErrors, type StageResult } from "./diagnostic.js";
import type { Interpolated } from "./interpolate.js";
import { displayPath, fromPointer, toPointer, type Path } from "./pointer.js";
import { resolveRef, type SchemaNode } from "./schema.js";
import { gatewayValidator } from "./validator.js";
import { createReporter, type Reporter, type SourceDocument } from "./source.js";
import { didYouMean, suggest } from "./suggest.js";
import { Provenance } from "./provenance.js";
import { redact } from "./redact.js";
import type { GatewayConfig } from "./types.js";

/**
 * Stage 3: JSON Schema check. Fills defaults (on a copy) and turns ajv's
 * errors into findings a person can act on: the path in YAML terms, the
 * position, a stable rule id and "did you mean" for misspelt keys and values.
 */
export function validateSchema(src: SourceDocument, input: Interpolated): StageResult<GatewayConfig> {
  const data = structuredClone(input.value);
  const validate = gatewayValidator();
  const valid = validate(data) as boolean;
  const reporter = createReporter(src);
  if (!valid) {
    // A propertyNames failure also reports its inner keyword; one finding is enough.
    // So does an `if`/`then` (a built-in plugin's config): its `then` errors say what is wrong.
    const errors = (validate.errors ?? []).filter((e) => !suppressed(e, input) && !e.schemaPath.includes("/propertyNames/") && e.keyword !== "if");
    for (const e of collapseAlternatives(errors)) describe(e, reporter, input.secretValues);
    dedupe(reporter);
  }
  const failed = hasErrors(reporter.diagnostics);
  return { value: failed ? undefined : (data as GatewayConfig), diagnostics: reporter.diagnostics };
}

/**
 * Findings for ajv errors of a value nested in the config (a custom plugin's
 * `config`, checked against the schema its module exports): `base` is where
 * the value sits in the file; messages and rule ids are those of the
 * gateway schema's own findings.
 */
export function reportSchemaErrors(errors: readonly ErrorObject[], reporter: Reporter, base: Path, secrets: ReadonlySet<string> = new Set()): void {
  const prefix = toPointer(base);
  const kept = errors.filter((e) => !e.schemaPath.includes("/propertyNames/") && e.keyword !== "if");
  for (const e of collapseAlternatives(kept.map((e) => ({ ...e, instancePath: prefix + e.instancePath })))) describe(e, reporter, secrets);
  dedupe(reporter);
}

/** A value that still holds an unset `${VAR}` is checked for type only (validate mode). */
function suppressed(e: ErrorObject, input: Interpolated): boolean {
  const unset = input.unset.get(e.instancePath);
  // The document itself must be a mapping, whatever a lone `${VAR}` would hold.
  if (unset === undefined || e.instancePath === "") return false;
  return e.keyword !== "type" || unset.whole;
}

/**
 * ajv reports every failing branch of an `anyOf`/`oneOf`. Keep the branch
 * whose type fits the value (its errors are the useful ones), or else one
 * "must be A or B" error.
 */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const consumed = new Set<ErrorObject>();
  const out: ErrorObject[] = [];
  const alternatives = errors
    .filter((e) => e.keyword === "anyOf" || (e.keyword === "oneOf" && !isDiscriminated(e)))
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alt of alternatives) {
    if (consumed.has(alt)) continue;
    const prefix = alt.schemaPath + "/";
    const inside = errors.filter((e) => e !== alt && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(alt.instancePath));
    const byBranch = new Map<number, ErrorObject[]>();
    for (const e of inside) {
      const index = Number(e.schemaPath.slice(prefix.length).split("/")[0]);
      byBranch.set(index, [...(byBranch.get(index) ?? []), e]);
    }
    const branchCount = (((alt.parentSchema as SchemaNode | undefined)?.anyOf ?? (alt.parentSchema as SchemaNode | undefined)?.oneOf) ?? []).length;
    for (const e of inside) consumed.add(e);
    consumed.add(alt);
    // A branch left without errors (they were suppressed for an unset ${VAR}) means the value fits.
    if (byBranch.size < branchCount) continue;
    const fitting = [...byBranch.values()].filter((errs) => !errs.some((e) => e.instancePath === alt.instancePath && e.keyword === "type"));
    if (fitting.length === 1) out.push(...fitting[0]!);
    else out.push(alt);
  }
  return [...out, ...errors.filter((e) => !consumed.has(e) && !out.includes(e))];
}

function isDiscriminated(e: ErrorObject): boolean {
  return (e.parentSchema as SchemaNode | undefined)?.discriminator !== undefined;
}

function pathOf(e: ErrorObject): string[] {
  return fromPointer(e.instancePath);
}

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

function typeName(value: unknown): string {
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

function describe(e: ErrorObject, r: Reporter, secrets: ReadonlySet<string>): void {
  const path = pathOf(e);
  const where = displayPath(path);
  const parent = e.parentSchema as SchemaNode | undefined;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const key = String(p.additionalProperty ?? p.unevaluatedProperty);
      const allowed = Object.keys(parent?.properties ?? {});
      const hint = suggest(key, allowed) === undefined && allowed.length > 0 ? `allowed keys: ${allowed.join(", ")}` : undefined;
      r.report("error", "schema.unknown-key", [...path, key], `unknown key ${JSON.stringify(key)} in ${where}${didYouMean(key, allowed)}`, {
        key: true,
        ...(hint === undefined ? {} : { hint }),
      });
      return;
    }
    case "required": {
      const key = String(p.missingProperty);
      r.report("error", "schema.required", path, `${where} is missing the required key ${JSON.stringify(key)}`, {
        ...(describeKey(parent, key) ?? {}),
      });
      return;
    }
    case "type": {
      const expected = String(p.type)
        .split(",")
        .map((t) => article[t] ?? t)
        .join(" or ");
      r.report("error", "schema.type", path, `${where} must be ${expected}, got ${typeName(e.data)}`);
      return;
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[] | undefined) ?? [];
      if (e.data === "none" && /^\/auth\/\d+\/algorithms\/\d+$/.test(e.instancePath)) {
        r.report("error", "auth.jwt.algorithm.none", path, `JWT algorithm "none" is never accepted: such tokens carry no signature`, {
          hint: "list the algorithms your issuer signs with, e.g. RS256 or ES256",
        });
        return;
      }
      const got = show(e.data, parent, secrets, e.instancePath);
      // A suggestion near a value from the environment would tell what the value is.
      const dym = typeof e.data === "string" && !fromEnv(secrets, e.instancePath) ? didYouMean(e.data, allowed.map(String)) : "";
      r.report("error", "schema.enum", path, `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}; got ${got}${dym}`);
      return;
    }
    case "const":
      r.report("error", "schema.const", path, `${where} must be ${JSON.stringify(p.allowedValue)}, got ${show(e.data, parent, secrets, e.instancePath)}`);
      return;
    case "discriminator": {
      const tag = String(p.tag);
      if (p.error === "mapping") {
        const branches = (parent?.oneOf ?? []).map((b) => String(resolveRef(b).properties?.[tag]?.const));
        r.report(
          "error",
          "schema.enum",
          [...path, tag],
          `${displayPath([...path, tag])} must be one of ${branches.map((b) => JSON.stringify(b)).join(", ")}; got ${show(p.tagValue, undefined, secrets, toPointer([...path, tag]))}${fromEnv(secrets, toPointer([...path, tag])) ? "" : didYouMean(String(p.tagValue), branches)}`,
        );
      } else if (e.data !== null && typeof e.data === "object" && tag in (e.data as object)) {
        r.report("error", "schema.type", [...path, tag], `${displayPath([...path, tag])} must be a string, got ${typeName((e.data as Record<string, unknown>)[tag])}`);
      } else {
        r.report("error", "schema.required", path, `${where} is missing the required key ${JSON.stringify(tag)}`);
      }
      return;
    }
    case "pattern": {
      const value = show(e.data, parent, secrets, e.instancePath);
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
      return;
    }
    case "format":
      r.report("error", "schema.format", path, `${where} ${show(e.data, parent, secrets, e.instancePath)} is not a valid ${String(p.format)}`);
      return;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      r.report("error", "schema.range", path, `${where} must be ${String(p.comparison)} ${String(p.limit)}, got ${show(e.data, parent, secrets, e.instancePath)}`);
      return;
    case "minLength":
    case "maxLength":
      r.report("error", "schema.length", path, e.keyword === "minLength" && p.limit === 1 ? `${where} must not be empty` : `${where} ${e.message ?? "has the wrong length"}`);
      return;
    case "minItems":
    case "maxItems":
      r.report("error", "schema.items", path, `${where} must have ${e.keyword === "minItems" ? "at least" : "at most"} ${String(p.limit)} item(s)`);
      return;
    case "uniqueItems":
      r.report("error", "schema.unique", [...path, Number(p.i)], `${where} lists the same item twice (items ${Number(p.j) + 1} and ${Number(p.i) + 1})`);
      return;
    case "propertyNames":
      r.report("error", "schema.pattern", [...path, String(p.propertyName)], `${where} has an invalid key ${JSON.stringify(p.propertyName)}`, { key: true });
      return;
    case "anyOf":
    case "oneOf": {
      const alternatives = ((parent?.anyOf ?? parent?.oneOf) as SchemaNode[] | undefined) ?? [];
      r.report("error", "schema.type", path, `${where} must be ${alternatives.map(describeAlternative).join(", or ")}; got ${typeName(e.data)}`);
      return;
    }
    default:
      r.report("error", "schema.invalid", path, `${where} ${e.message ?? "is invalid"}`);
  }
}

function describeKey(parent: SchemaNode | undefined, key: string): { hint: string } | undefined {
  const prop = parent?.properties?.[key];
  if (prop === undefined) return undefined;
  const d = resolveRef(prop).description;
  return d === undefined ? undefined : { hint: `${key}: ${d}` };
}

function dedupe(r: Reporter): void {
  const seen = new Set<string>();
  const keep = r.diagnostics.filter((d) => {
    const k = `${d.pointer}\u0000${d.rule}\u0000${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  r.diagnostics.splice(0, r.diagnostics.length, ...keep);
}

export type { Path };
