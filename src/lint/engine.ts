/**
 * `aigw lint`: best-practice rules over a valid, compiled config. Each rule
 * has a stable id, a default severity, a doc line and a fix hint; the file's
 * `lint.rules` turns a rule off or changes its severity.
 */
import type { BuildResult } from "../compile/build.js";
import { redact } from "../config/canonical.js";
import { sortDiagnostics, type Diagnostic, type Severity } from "../config/diagnostic.js";
import type { Path } from "../config/pointer.js";
import { gatewaySchema } from "../config/schema.js";
import { DESCEND, mapWithSchema } from "../config/schema-walk.js";
import { createReporter } from "../config/source.js";
import { Budget } from "./glob-lang.js";
import { LINT_RULES } from "./rules/index.js";
import type { LintRule, RuleContext } from "./rule.js";

export type { LintRule, RuleContext } from "./rule.js";
export { LINT_RULES, lintRule } from "./rules/index.js";

export interface LintOptions {
  /**
   * The environment the file was interpolated with: values of variables whose
   * names look secret are redacted from every message, as are the values of
   * the config's secret fields.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The rules to run (default: all of them). */
  rules?: readonly LintRule[];
}

/** Steps one exact set comparison may take (see glob-lang.ts); far above what real configs need. */
const BUDGET_STEPS = 200_000;
/** The variable names `interpolate` treats as secret. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE)/i;

/**
 * Lints a built config. A build that did not produce a snapshot (the config
 * is invalid) has nothing to lint: its validate findings are returned as they
 * are. Otherwise the findings of every rule, with the file's `lint.rules`
 * applied, sorted by position.
 */
export function lint(build: BuildResult, options: LintOptions = {}): Diagnostic[] {
  const resolved = build.resolved;
  const snapshot = build.snapshot;
  if (resolved === undefined || snapshot === undefined) return build.diagnostics;
  const rules = options.rules ?? LINT_RULES;
  const overrides = resolved.config.lint.rules ?? {};
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    const level = overrides[rule.id];
    if (level === "off") continue;
    const reporter = createReporter(resolved.source);
    const ctx: RuleContext = {
      config: resolved.config,
      snapshot,
      source: resolved.source,
      validateFindings: build.diagnostics,
      ruleIds: LINT_RULES.map((r) => r.id),
      wrote: (path: Path) => resolved.source.doc.hasIn(path),
      budget: () => new Budget(BUDGET_STEPS),
      report(path, message, opts = {}) {
        reporter.report(level ?? rule.severity, rule.id, path, message, { hint: opts.hint ?? rule.hint, key: opts.key ?? false });
      },
    };
    rule.check(ctx);
    out.push(...reporter.diagnostics);
  }
  const secrets = secretsOf(resolved.config, options.env ?? {});
  return sortDiagnostics(out.map((d) => scrub(d, secrets)));
}

/** Whether findings fail the run: any error, or more warnings than allowed. */
export function lintFails(diagnostics: readonly Diagnostic[], maxWarnings?: number): boolean {
  const count = (s: Severity): number => diagnostics.filter((d) => d.severity === s).length;
  return count("error") > 0 || (maxWarnings !== undefined && count("warning") > maxWarnings);
}

/** Values that must never be printed: the config's secret fields and secret-looking variables. */
function secretsOf(config: unknown, env: Readonly<Record<string, string | undefined>>): string[] {
  const found = new Set<string>();
  mapWithSchema(config, gatewaySchema(), (node, _refs, value) => {
    if (typeof value === "string" && node["x-secret"] === true) {
      if (value.length >= 4 && !/^\$\{[^}]*\}$/.test(value)) found.add(value);
      return value;
    }
    return DESCEND;
  });
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= 4 && SECRET_NAME.test(name)) found.add(value);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

function scrub(d: Diagnostic, secrets: readonly string[]): Diagnostic {
  if (secrets.length === 0) return d;
  const clean = (text: string): string => {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(redact(s));
    return out;
  };
  const result: Diagnostic = { ...d, message: clean(d.message) };
  if (d.hint !== undefined) result.hint = clean(d.hint);
  return result;
}
