import type { ErrorObject } from "ajv";
import { hasErrors, type StageResult } from "./diagnostic.js";
import type { Interpolated } from "./interpolate.js";
import { toPointer, type Path } from "./pointer.js";
import type { SchemaNode } from "./schema.js";
import { describeSchemaError } from "./schema-errors.js";
import { gatewayValidator } from "./validator.js";
import { createReporter, type Reporter, type SourceDocument } from "./source.js";
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
    for (const e of collapseAlternatives(errors)) describeSchemaError(e, reporter, input.secretValues);
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
  for (const e of collapseAlternatives(kept.map((e) => ({ ...e, instancePath: prefix + e.instancePath })))) describeSchemaError(e, reporter, secrets);
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
