import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { compareSources, type PlanFormat } from "../plan-run.js";
import { pluginReview, type PluginFlags } from "../plugin-review.js";

export interface PlanOptions extends PluginFlags {
  against?: string;
  format: PlanFormat;
  token?: string;
  detailedExitcode: boolean;
}

/** `plan --detailed-exitcode` (DESIGN.md 2, Terraform's convention). */
export const PlanExitCode = {
  NoChanges: 0,
  Error: 1,
  Changes: 2,
  HighRisk: 3,
} as const;

/**
 * `aigw plan <file> --against <admin URL | file | git:<ref>:<path>>`: the
 * diff plus risk and consequences. 0 on success. With `--detailed-exitcode`:
 * 0 no changes, 2 changes, 3 changes with a high-risk one, 1 any error
 * (unreachable gateway, refused token, unreadable or invalid config).
 * Without it, errors exit 2 like every usage/IO error.
 */
export async function planCommand(file: string, opts: PlanOptions, io: Io): Promise<number> {
  try {
    if (opts.against === undefined || opts.against === "") {
      throw new AigwError(ErrorCode.Usage, "plan needs --against <admin URL | file | git:<ref>:<path>> (what runs now)");
    }
    const outcome = await compareSources(opts.against, file, { format: opts.format, token: opts.token, title: "Plan", review: pluginReview(opts, io.cwd) }, io);
    if (!outcome.ok) return opts.detailedExitcode ? PlanExitCode.Error : ExitCode.Usage;
    if (!opts.detailedExitcode) return ExitCode.Ok;
    const { summary, changes } = outcome.result;
    if (changes.length === 0) return PlanExitCode.NoChanges;
    return summary.highRisk > 0 ? PlanExitCode.HighRisk : PlanExitCode.Changes;
  } catch (err) {
    if (!opts.detailedExitcode || !AigwError.is(err)) throw err;
    io.stderr(`aigw: ${err.message}\n`);
    return PlanExitCode.Error;
  }
}
