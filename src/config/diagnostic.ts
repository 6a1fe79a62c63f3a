/** A finding about a config file: what is wrong, where, and how to fix it. */
export type Severity = "error" | "warning" | "info";

export interface Diagnostic {
  /** Stable rule id, e.g. `route.upstream.unknown`. */
  rule: string;
  severity: Severity;
  message: string;
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** JSON pointer of the value in the config (`/routes/0/upstream`). */
  pointer: string;
  hint?: string;
}

/** What every pipeline stage returns: a value (absent when the stage could not produce one) and findings. */
export interface StageResult<T> {
  value: T | undefined;
  diagnostics: Diagnostic[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Sorts by file, line, column, then severity and rule, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      severityOrder[a.severity] - severityOrder[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}

/** The public Finding shape of DESIGN.md 10 (a Diagnostic without its pointer). */
export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
}

export function toFinding(d: Diagnostic): Finding {
  const f: Finding = { file: d.file, line: d.line, column: d.column, rule: d.rule, severity: d.severity, message: d.message };
  if (d.hint !== undefined) f.hint = d.hint;
  return f;
}
