import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { parsePercent } from "../../routing-tests/coverage.js";
import { parseCases } from "../../routing-tests/cases.js";
import { formatJunit, formatJunitInvalidConfig } from "../../routing-tests/junit.js";
import { testReport } from "../../routing-tests/report.js";
import { buildFromFile } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { formatJson, formatText } from "../output/findings.js";
import { formatTestJson, formatTestText } from "../output/test-report.js";
import { jsonWithNotices, junitWithNotices, pluginReview, reviewNotices, textNotices, type PluginFlags } from "../plugin-review.js";

export type TestFormat = "text" | "json" | "junit";

export interface TestOptions extends PluginFlags {
  format: TestFormat;
  failUnder?: string;
}

async function readInput(file: string, io: Io): Promise<string> {
  try {
    return await io.readFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new AigwError(ErrorCode.ConfigRead, `cannot read ${file}: ${reason}`, { cause: err });
  }
}

/**
 * `aigw test`: each case through `decide()`, expectations compared, route
 * and policy coverage. 0 all pass (and coverage ≥ `--fail-under`), 1 a case
 * failed, coverage is under the threshold or the config is invalid, 2 usage
 * or I/O error, including a malformed cases file (its findings on stderr).
 */
export async function testCommand(file: string, casesFile: string, opts: TestOptions, io: Io): Promise<number> {
  let failUnder: number | undefined;
  if (opts.failUnder !== undefined) {
    failUnder = parsePercent(opts.failUnder);
    if (failUnder === undefined) throw new AigwError(ErrorCode.Usage, `--fail-under ${JSON.stringify(opts.failUnder)} is not a percentage from 0 to 100`);
  }

  const review = pluginReview(opts, io.cwd);
  const cases = parseCases(await readInput(casesFile, io), casesFile, io.env);
  if (cases.value === undefined) {
    io.stderr(`aigw: ${casesFile} is not a valid cases file:\n${formatText(cases.diagnostics, false)}`);
    return ExitCode.Usage;
  }

  const built = await buildFromFile(file, io, "validate", review);
  if (built.snapshot === undefined) {
    if (opts.format === "junit") {
      const findings = formatText(built.diagnostics, false).trimEnd().split("\n");
      io.stdout(formatJunitInvalidConfig(file, casesFile, findings));
    } else io.stdout(opts.format === "json" ? formatJson(false, built.diagnostics) : formatText(built.diagnostics, io.colour));
    return ExitCode.Findings;
  }

  const report = testReport(built.snapshot, casesFile, cases.value.cases, failUnder);
  const notices = reviewNotices(built.diagnostics);
  if (opts.format === "junit") io.stdout(junitWithNotices(formatJunit(report), notices));
  else if (opts.format === "json") io.stdout(jsonWithNotices(formatTestJson(report), notices));
  else io.stdout(formatTestText(report, io.colour) + textNotices(notices, io.colour));
  return report.ok ? ExitCode.Ok : ExitCode.Findings;
}
