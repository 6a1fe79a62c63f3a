import { sortDiagnostics, type Diagnostic, type Severity } from "../../config/diagnostic.js";
import { ErrorCode } from "../../errors/codes.js";
import { AigwError } from "../../errors/errors.js";
import { LINT_RULES, lint, lintFails } from "../../lint/engine.js";
import { buildFromFile } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { paint } from "../output/colour.js";
import { formatGithub, formatJson, formatText, type FindingsFormat } from "../output/findings.js";
import { formatSarifLog } from "../output/sarif.js";
import { formatTable } from "../output/table.js";
import { pluginReview, reviewNotices, type PluginFlags } from "../plugin-review.js";
import { packageVersion } from "../../version.js";

export interface LintCommandOptions extends PluginFlags {
  format: FindingsFormat;
  /** More warnings than this fail the run (exit 1). */
  maxWarnings?: number;
  /** Print the rules instead of linting. */
  listRules?: boolean;
}

/**
 * `aigw lint <file>`: 0 clean or warnings only, 1 errors (or more warnings
 * than `--max-warnings`, or a config that fails validate), 2 usage/IO error.
 */
export async function lintCommand(file: string | undefined, opts: LintCommandOptions, io: Io): Promise<number> {
  if (opts.listRules === true) return listRules(opts.format, io);
  if (file === undefined) throw new AigwError(ErrorCode.Usage, "lint needs a config file (or --list-rules)");

  const build = await buildFromFile(file, io, "validate", pluginReview(opts, io.cwd));
  if (build.snapshot === undefined) {
    print(build.diagnostics, false, opts.format, io);
    if (opts.format === "text") io.stdout(paint(io.colour).red(`${file}: invalid; lint runs on a config that passes validate`) + "\n");
    return ExitCode.Findings;
  }

  // The modules lint did not load are part of its answer: their configs went unchecked.
  const diagnostics = sortDiagnostics([...lint(build, { env: io.env }), ...reviewNotices(build.diagnostics)]);
  const fails = lintFails(diagnostics, opts.maxWarnings);
  print(diagnostics, !fails, opts.format, io);
  if (opts.format === "text") io.stdout(summary(file, diagnostics, opts.maxWarnings, io.colour) + "\n");
  return fails ? ExitCode.Findings : ExitCode.Ok;
}

function print(diagnostics: readonly Diagnostic[], ok: boolean, format: FindingsFormat, io: Io): void {
  switch (format) {
    case "json":
      io.stdout(formatJson(ok, diagnostics));
      break;
    case "github":
      io.stdout(formatGithub(diagnostics));
      break;
    case "sarif":
      io.stdout(formatSarifLog(diagnostics, packageVersion(), LINT_RULES));
      break;
    default:
      io.stdout(formatText(diagnostics, io.colour));
  }
}

function summary(file: string, diagnostics: readonly Diagnostic[], maxWarnings: number | undefined, colour: boolean): string {
  const p = paint(colour);
  if (diagnostics.length === 0) return p.green(`${file}: no lint findings`);
  const count = (s: Severity): number => diagnostics.filter((d) => d.severity === s).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [plural(count("error"), "error"), plural(count("warning"), "warning")];
  if (count("info") > 0) parts.push(`${count("info")} info`);
  let line = `${file}: ${parts.join(", ")}`;
  if (maxWarnings !== undefined && count("warning") > maxWarnings) line += ` (more than --max-warnings ${maxWarnings})`;
  return lintFails(diagnostics, maxWarnings) ? p.red(line) : p.yellow(line);
}

function listRules(format: FindingsFormat, io: Io): number {
  if (format === "json") {
    const rules = LINT_RULES.map((r) => ({ id: r.id, severity: r.severity, description: r.description, hint: r.hint }));
    io.stdout(JSON.stringify({ rules }, null, 2) + "\n");
  } else {
    io.stdout(formatTable(["RULE", "SEVERITY", "CATCHES"], LINT_RULES.map((r) => [r.id, r.severity, r.description])));
  }
  return ExitCode.Ok;
}
