import { formatPercent } from "./coverage.js";
import { coverageLine, failUnderMessage, failureLine, type TestReport } from "./report.js";
import { escapeXml } from "./xml.js";

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * JUnit XML as CI dashboards read it (GitHub test reporters, GitLab
 * `artifacts:reports:junit`, Jenkins): one `<testsuite>` named after the
 * cases file, one `<testcase>` per case with a `<failure>` listing expected
 * vs actual per field; with `--fail-under`, one more test case for route
 * coverage. Coverage figures are suite properties.
 */
export function formatJunit(report: TestReport): string {
  const a = (s: string | number): string => escapeXml(String(s));
  const classname = report.casesFile.replace(/\.[^./]*$/, "").replace(/[/\\]/g, ".");
  const time = report.results.reduce((t, r) => t + r.durationMs, 0);
  const coverageCase = report.failUnder !== null;
  const tests = report.results.length + (coverageCase ? 1 : 0);
  const failures = report.failed + (coverageCase && report.failUnder?.ok === false ? 1 : 0);

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="aigw test" tests="${tests}" failures="${failures}" errors="0" time="${seconds(time)}">`);
  out.push(`  <testsuite name="${a(report.casesFile)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}">`);
  out.push("    <properties>");
  out.push(`      <property name="config" value="${a(report.config)}"/>`);
  out.push(`      <property name="coverage.routes" value="${a(formatPercent(report.coverage.routes.percent))}"/>`);
  out.push(`      <property name="coverage.policies" value="${a(formatPercent(report.coverage.policies.percent))}"/>`);
  out.push("    </properties>");
  for (const r of report.results) {
    const head = `    <testcase name="${a(r.case.name)}" classname="${a(classname)}" file="${a(report.casesFile)}" line="${r.case.line}" time="${seconds(r.durationMs)}"`;
    if (r.failures.length === 0) {
      out.push(`${head}/>`);
      continue;
    }
    const summary = r.failures.map((f) => f.field).join(", ");
    const body = r.failures.map(failureLine).join("\n");
    out.push(`${head}>`);
    out.push(`      <failure message="${a(`${summary} differ${r.failures.length === 1 ? "s" : ""}`)}" type="AssertionError">${a(body)}</failure>`);
    out.push("    </testcase>");
  }
  if (report.failUnder !== null) {
    const head = `    <testcase name="${a(`route coverage is at least ${report.failUnder.threshold}%`)}" classname="${a(`${classname}.coverage`)}" file="${a(report.casesFile)}" time="0.000"`;
    const under = failUnderMessage(report);
    if (under === undefined) out.push(`${head}/>`);
    else {
      out.push(`${head}>`);
      out.push(`      <failure message="${a(under)}" type="CoverageError">${a(coverageLine(report.coverage.routes))}</failure>`);
      out.push("    </testcase>");
    }
  }
  out.push(`    <system-out>${a(`routes: ${coverageLine(report.coverage.routes)}\npolicies: ${coverageLine(report.coverage.policies)}`)}</system-out>`);
  out.push("  </testsuite>");
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

/**
 * The config under test is invalid: one failing test case carrying the
 * findings, so the dashboard shows why no case ran.
 */
export function formatJunitInvalidConfig(config: string, casesFile: string, findings: readonly string[]): string {
  const a = escapeXml;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="aigw test" tests="1" failures="1" errors="0" time="0.000">',
    `  <testsuite name="${a(casesFile)}" tests="1" failures="1" errors="0" skipped="0" time="0.000">`,
    `    <testcase name="${a(`${config} is valid`)}" classname="aigw.config" file="${a(config)}" time="0.000">`,
    `      <failure message="${a(`${config} is invalid: no case ran`)}" type="ConfigError">${a(findings.join("\n"))}</failure>`,
    "    </testcase>",
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
