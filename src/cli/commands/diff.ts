import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { compareSources, type PlanFormat } from "../plan-run.js";
import { pluginReview, type PluginFlags } from "../plugin-review.js";

export interface DiffOptions extends PluginFlags {
  format: PlanFormat;
  /** Exit 1 when the configs differ. */
  exitCode: boolean;
  token?: string;
}

/**
 * `aigw diff <old> <new>`: the semantic diff of two configs (files,
 * `git:<ref>:<path>` or admin URLs). 0 on success; with `--exit-code` 0 same,
 * 1 differ. An unreadable or invalid input is exit 2 (as usage/IO errors),
 * never 1, so `--exit-code` stays unambiguous.
 */
export async function diffCommand(oldSpec: string, newSpec: string, opts: DiffOptions, io: Io): Promise<number> {
  const outcome = await compareSources(oldSpec, newSpec, { format: opts.format, token: opts.token, title: "Diff", review: pluginReview(opts, io.cwd) }, io);
  if (!outcome.ok) return ExitCode.Usage;
  if (opts.exitCode && outcome.result.changes.length > 0) return ExitCode.Findings;
  return ExitCode.Ok;
}
