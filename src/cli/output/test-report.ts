import { coverageLine, failUnderMessage, show, type TestReport } from "../../routing-tests/report.js";
import { actualOf } from "../../routing-tests/run.js";
import { paint } from "./colour.js";

/** Test-runner output: one line per case, expected/actual per failed field, then coverage and totals. */
export function formatTestText(report: TestReport, colour: boolean): string {
  const p = paint(colour);
  const lines: string[] = [`${report.casesFile} against ${report.config}`, ""];
  for (const r of report.results) {
    if (r.failures.length === 0) {
      lines.push(`  ${p.green("✓")} ${r.case.name}`);
      continue;
    }
    lines.push(`  ${p.red("✗")} ${r.case.name}  ${p.dim(`${report.casesFile}:${r.case.line}:${r.case.column}`)}`);
    for (const f of r.failures) {
      lines.push(`      ${p.bold(f.field)}`);
      lines.push(`        expected ${p.green(show(f.expected))}`);
      lines.push(`        actual   ${p.red(show(f.actual))}${f.note === undefined ? "" : p.dim(`  (${f.note})`)}`);
    }
  }
  lines.push("");
  lines.push(`Routes    ${coverageLine(report.coverage.routes)}`);
  lines.push(`Policies  ${coverageLine(report.coverage.policies)}`);
  const counts = [report.passed > 0 ? p.green(`${report.passed} passed`) : "0 passed", report.failed > 0 ? p.red(`${report.failed} failed`) : "0 failed"];
  lines.push(`Cases     ${counts.join(", ")} (${report.results.length})`);
  const under = failUnderMessage(report);
  if (under !== undefined) lines.push(p.red(`Coverage  ${under}`));
  return lines.join("\n") + "\n";
}

/** `{ok, summary, coverage, failUnder, cases: [{name, file, line, column, ok, failures, actual}]}`. */
export function formatTestJson(report: TestReport): string {
  const out = {
    ok: report.ok,
    config: report.config,
    casesFile: report.casesFile,
    summary: { total: report.results.length, passed: report.passed, failed: report.failed },
    coverage: report.coverage,
    failUnder: report.failUnder,
    cases: report.results.map((r) => ({
      name: r.case.name,
      line: r.case.line,
      column: r.case.column,
      ok: r.failures.length === 0,
      failures: r.failures,
      actual: { ...actualOf(r.decision), reason: r.decision.reason },
    })),
  };
  return JSON.stringify(out, null, 2) + "\n";
}
