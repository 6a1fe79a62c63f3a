import { canonicalize, type CanonicalConfig } from "./canonical.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostic.js";
import { interpolate, type Env, type Mode } from "./interpolate.js";
import { parseSource } from "./load.js";
import { resolveConfig } from "./resolve.js";
import type { SourceDocument } from "./source.js";
import type { GatewayConfig } from "./types.js";
import { validateSchema } from "./validate.js";

export interface PipelineOptions {
  mode: Mode;
  env: Env;
  /** Whether a file the config names exists (as written, relative to the config's folder). */
  fileExists: (path: string) => boolean;
}

export interface Resolved {
  source: SourceDocument;
  /** Validated, defaults filled, secrets included. */
  config: GatewayConfig;
  canonical: CanonicalConfig;
  /** Values taken from secret-looking variables (redacted wherever they would be shown). */
  secretValues: ReadonlySet<string>;
}

export interface PipelineResult {
  /** Every finding of every stage that ran, sorted by position. */
  diagnostics: Diagnostic[];
  /** Present when no stage found an error. */
  resolved: Resolved | undefined;
}

/**
 * The pure part of the config pipeline: parse (with positions) →
 * interpolate → schema → semantic checks → canonical form. It never throws
 * for a user mistake; it stops at the first stage with errors, since later
 * stages need the shape the earlier ones guarantee.
 */
export function runPipeline(text: string, file: string, options: PipelineOptions): PipelineResult {
  const diagnostics: Diagnostic[] = [];
  const done = (resolved?: Resolved): PipelineResult => ({ diagnostics: sortDiagnostics(diagnostics), resolved });

  const parsed = parseSource(text, file);
  diagnostics.push(...parsed.diagnostics);
  if (parsed.value === undefined) return done();
  const source = parsed.value;

  const interpolated = interpolate(source, options.env, options.mode);
  diagnostics.push(...interpolated.diagnostics);
  if (interpolated.value === undefined || hasErrors(interpolated.diagnostics)) return done();

  const validated = validateSchema(source, interpolated.value);
  diagnostics.push(...validated.diagnostics);
  if (validated.value === undefined) return done();

  const resolved = resolveConfig(source, validated.value, interpolated.value, options);
  diagnostics.push(...resolved.diagnostics);
  if (resolved.value === undefined) return done();

  const canonical = canonicalize(resolved.value, interpolated.value.secretValues);
  return done({ source, config: resolved.value, canonical, secretValues: interpolated.value.secretValues });
}
