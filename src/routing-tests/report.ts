import type { Snapshot } from "../compile/snapshot.js";
import type { TestCase } from "./cases.js";
import { coverageOf, formatPercent, type Coverage, type CoverageItem } from "./coverage.js";
import { runCases, type CaseResult, type FieldFailure } from "./run.js";

/** Everything `aigw test` reports, in every format. */
export interface TestReport {
  /** The gateway config under test. */
  config: string;
  /** The cases file. */
  casesFile: string;
  results: CaseResult[];
  passed: number;
  failed: number;
  coverage: Coverage;
  /** `--fail-under`: the threshold on route coverage and whether it holds. */
  failUnder: { threshold: number; ok: boolean } | null;
  /** Every case passed and coverage is not under the threshold. */
  ok: boolean;
}

export function testReport(snapshot: Snapshot, casesFile: string, cases: readonly TestCase[], failUnder: number | undefined): TestReport {
  const results = runCases(snapshot, cases);
  const coverage = coverageOf(snapshot, results);
  const failed = results.filter((r) => r.failures.length > 0).length;
  const threshold = failUnder === undefined ? null : { threshold: failUnder, ok: coverage.routes.percent >= failUnder };
  return {
    config: snapshot.file,
    casesFile,
    results,
    passed: results.length - failed,
    failed,
    coverage,
    failUnder: threshold,
    ok: failed === 0 && (threshold?.ok ?? true),
  };
}

/** A value as a failure message shows it: JSON, so `null`, `"a"` and `["a"]` read unambiguously. */
export function show(value: unknown): string {
  return JSON.stringify(value);
}

/** `route: expected "chat", got "chat-v2"`, and the note when there is one. */
export function failureLine(f: FieldFailure): string {
  return `${f.field}: expected ${show(f.expected)}, got ${show(f.actual)}${f.note === undefined ? "" : ` (${f.note})`}`;
}

export function coverageLine(c: CoverageItem): string {
  const base = `${c.covered}/${c.total} covered (${formatPercent(c.percent)})`;
  return c.uncovered.length === 0 ? base : `${base}; not covered: ${c.uncovered.join(", ")}`;
}

export function failUnderMessage(report: TestReport): string | undefined {
  if (report.failUnder === null || report.failUnder.ok) return undefined;
  return `route coverage ${formatPercent(report.coverage.routes.percent)} is under --fail-under ${report.failUnder.threshold}%`;
}
