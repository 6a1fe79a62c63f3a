import { hasErrors, type Diagnostic } from "../../config/diagnostic.js";
import { buildFromFile } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { formatGithub, formatJson, formatSarif, formatText, type FindingsFormat } from "../output/findings.js";
import { pluginReview, type PluginFlags } from "../plugin-review.js";
import { paint } from "../output/colour.js";
import { packageVersion } from "../../version.js";

export interface ValidateOptions extends PluginFlags {
  format: FindingsFormat;
  /** Validate as `serve` would: unset variables and missing files are errors. */
  strict: boolean;
}

/** `aigw validate <file...>`: 0 valid, 1 invalid, 2 unreadable file. */
export async function validateCommand(files: string[], opts: ValidateOptions, io: Io): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const summaries: string[] = [];
  const review = pluginReview(opts, io.cwd);
  for (const file of files) {
    const result = await buildFromFile(file, io, opts.strict ? "serve" : "validate", review);
    diagnostics.push(...result.diagnostics);
    const s = result.snapshot;
    summaries.push(
      s === undefined
        ? `${file}: invalid`
        : `${file}: valid (${s.routes.length} route${s.routes.length === 1 ? "" : "s"}, ${s.upstreams.size} upstream${s.upstreams.size === 1 ? "" : "s"}, ${s.hash.slice(0, 19)})`,
    );
  }
  const ok = !hasErrors(diagnostics);
  switch (opts.format) {
    case "json":
      io.stdout(formatJson(ok, diagnostics));
      break;
    case "github":
      io.stdout(formatGithub(diagnostics));
      break;
    case "sarif":
      io.stdout(formatSarif(diagnostics, packageVersion()));
      break;
    default: {
      io.stdout(formatText(diagnostics, io.colour));
      const p = paint(io.colour);
      for (const line of summaries) io.stdout((line.endsWith(": invalid") ? p.red(line) : p.green(line)) + "\n");
    }
  }
  return ok ? ExitCode.Ok : ExitCode.Findings;
}
