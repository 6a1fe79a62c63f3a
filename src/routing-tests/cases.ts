import { readFileSync } from "node:fs";
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { DecisionRequest } from "../explain/decide.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../config/diagnostic.js";
import { interpolate, type Env } from "../config/interpolate.js";
import { parseSource } from "../config/load.js";
import { displayPath, fromPointer, type Path } from "../config/pointer.js";
import { didYouMean } from "../config/suggest.js";
import { createReporter, locate, type Reporter } from "../config/source.js";
import { typeName } from "../config/schema-errors.js";

/** The gateway's own decisions a case can expect (DESIGN 10). */
export type ExpectedStatus = 200 | 400 | 401 | 403 | 404;

/** A policy that must apply; `key`, when given, is the resolved key it must have. */
export interface ExpectedLimit {
  policy: string;
  key?: string;
}

/** What a case expects; only the fields given are checked. */
export interface Expectations {
  route?: string | null;
  upstream?: string | null;
  fallback?: string[];
  status?: ExpectedStatus;
  auth?: string[];
  scopes?: string[];
  consumer?: string | null;
  rateLimits?: ExpectedLimit[];
  cacheable?: boolean;
}

export interface TestCase {
  name: string;
  /** Where the case starts in the cases file (1-based). */
  line: number;
  column: number;
  request: DecisionRequest;
  expect: Expectations;
}

export interface CasesFile {
  file: string;
  cases: TestCase[];
}

/** The order expectations are checked and reported in. */
export const EXPECTATION_FIELDS = ["route", "upstream", "fallback", "status", "auth", "scopes", "consumer", "rateLimits", "cacheable"] as const;
export type ExpectationField = (typeof EXPECTATION_FIELDS)[number];

interface RawCase {
  name: string;
  request: {
    method?: string;
    path: string;
    host?: string;
    headers?: Record<string, string>;
    model?: string;
    consumer?: string;
    claims?: Record<string, unknown>;
    ip?: string;
    body?: Record<string, unknown>;
  };
  expect: Omit<Expectations, "rateLimits"> & { rateLimits?: (string | ExpectedLimit)[] };
}

const schemaUrl = new URL("../../schemas/cases.schema.json", import.meta.url);

/** The compiled validator of schemas/cases.schema.json: compiled per parse, as `aigw test` parses one cases file per run. */
function casesValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  return ajv.compile(JSON.parse(readFileSync(schemaUrl, "utf8")) as object);
}

/**
 * Parses a cases file: YAML with positions → `${VAR}` (as in the config,
 * except that an unset variable without a default is an error: a case whose
 * credentials are a literal `${KEY}` would fail for the wrong reason) →
 * schema → unique names. Findings point into the cases file.
 */
export function parseCases(text: string, file: string, env: Env): { value: CasesFile | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const done = (value?: CasesFile) => ({ value, diagnostics: sortDiagnostics(diagnostics) });

  const parsed = parseSource(text, file);
  diagnostics.push(...parsed.diagnostics);
  if (parsed.value === undefined || hasErrors(parsed.diagnostics)) return done();
  const source = parsed.value;

  const interpolated = interpolate(source, env, "serve");
  diagnostics.push(...interpolated.diagnostics);
  if (interpolated.value === undefined || hasErrors(interpolated.diagnostics)) return done();
  const data = interpolated.value.value;

  const reporter = createReporter(source);
  const validate = casesValidator();
  if (!(validate(data) as boolean)) {
    for (const e of collapseAlternatives(validate.errors ?? [])) describe(e, reporter);
  }
  diagnostics.push(...reporter.diagnostics);
  if (hasErrors(reporter.diagnostics)) return done();

  const raw = (data as { cases: RawCase[] }).cases;
  const seen = new Map<string, number>();
  const duplicates = createReporter(source);
  raw.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first === undefined) seen.set(c.name, i);
    else {
      const at = locate(source, ["cases", first, "name"]);
      duplicates.report("error", "cases.name.duplicate", ["cases", i, "name"], `case name ${JSON.stringify(c.name)} is already used by the case at line ${at.line}`, {
        hint: "give every case its own name: it names the test in every report",
      });
    }
  });
  diagnostics.push(...duplicates.diagnostics);
  if (hasErrors(duplicates.diagnostics)) return done();

  return done({ file, cases: raw.map((c, i) => toCase(c, locate(source, ["cases", i]))) });
}

function toCase(c: RawCase, at: { line: number; column: number }): TestCase {
  const r = c.request;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = value;
  if (r.host !== undefined) headers.host = r.host;
  const request: DecisionRequest = { method: (r.method ?? "GET").toUpperCase(), path: r.path, headers };
  if (r.model !== undefined) request.model = r.model;
  if (r.consumer !== undefined) request.consumer = r.consumer;
  if (r.claims !== undefined) request.claims = r.claims;
  if (r.ip !== undefined) request.ip = r.ip;
  if (r.body !== undefined) request.body = r.body;
  const { rateLimits, ...rest } = c.expect;
  const expect: Expectations = { ...rest };
  if (rateLimits !== undefined) expect.rateLimits = rateLimits.map((l) => (typeof l === "string" ? { policy: l } : l));
  return { name: c.name, line: at.line, column: at.column, request, expect };
}

/**
 * ajv reports every failing branch of an `anyOf`: keep the errors of the
 * branch whose type fits the value, or else the one `anyOf` error.
 */
function collapseAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === "anyOf");
  const consumed = new Set<ErrorObject>();
  const out: ErrorObject[] = [];
  for (const alt of alternatives) {
    const prefix = alt.schemaPath + "/";
    const inside = errors.filter((e) => e !== alt && e.schemaPath.startsWith(prefix));
    for (const e of inside) consumed.add(e);
    consumed.add(alt);
    const fitting = inside.filter((e) => !(e.instancePath === alt.instancePath && e.keyword === "type"));
    out.push(...(fitting.length > 0 ? fitting : [alt]));
  }
  return [...out, ...errors.filter((e) => !consumed.has(e))];
}

const article: Record<string, string> = { object: "a mapping", array: "a list", string: "a string", integer: "an integer", number: "a number", boolean: "a boolean", null: "null" };


function describe(e: ErrorObject, r: Reporter): void {
  const path: Path = fromPointer(e.instancePath).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const where = displayPath(path);
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {});
      r.report("error", "schema.unknown-key", [...path, key], `unknown key ${JSON.stringify(key)} in ${where}${didYouMean(key, allowed)}`, {
        key: true,
        ...(allowed.length > 0 ? { hint: `allowed keys: ${allowed.join(", ")}` } : {}),
      });
      return;
    }
    case "required":
      r.report("error", "schema.required", path, `${where} is missing the required key ${JSON.stringify(String(p.missingProperty))}`);
      return;
    case "type": {
      const expected = String(p.type)
        .split(",")
        .map((t) => article[t] ?? t)
        .join(" or ");
      r.report("error", "schema.type", path, `${where} must be ${expected}, got ${typeName(e.data)}`);
      return;
    }
    case "enum": {
      const allowed = ((p.allowedValues as unknown[])).map((v) => JSON.stringify(v));
      r.report("error", "schema.enum", path, `${where} must be one of ${allowed.join(", ")}, got ${JSON.stringify(e.data)}`);
      return;
    }
    case "minProperties":
      r.report("error", "schema.min-properties", path, `${where} expects nothing`, {
        hint: `give at least one of ${Object.keys(parent?.properties ?? {}).join(", ")}`,
      });
      return;
    case "minItems":
      r.report("error", "schema.min-items", path, `${where} must not be empty`);
      return;
    case "anyOf":
      r.report("error", "schema.type", path, `${where} must be a policy name or a mapping {policy, key}, got ${typeName(e.data)}`);
      return;
    default:
      r.report("error", `schema.${e.keyword}`, path, `${where} ${e.message ?? "is invalid"}`);
  }
}
