import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { parseAccessLog, replay } from "../../routing-tests/replay.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { formatReplayJson, formatReplayText } from "../output/replay-report.js";
import { jsonWithNotices, pluginReview, textNotices, type PluginFlags } from "../plugin-review.js";
import { snapshotOrFindings } from "../snapshot-or-findings.js";

export interface ReplayOptions extends PluginFlags {
  format: "text" | "json";
}

/**
 * `aigw replay`: recorded requests (an access log, `-` for stdin) through a
 * proposed config. 0 every decision the same, 1 differences (or the config
 * is invalid), 2 usage or I/O error, including a log with no access lines.
 */
export async function replayCommand(file: string, logFile: string, opts: ReplayOptions, io: Io): Promise<number> {
  const review = pluginReview(opts, io.cwd);
  let text: string;
  try {
    text = logFile === "-" ? await io.readStdin() : await io.readFile(logFile);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new AigwError(ErrorCode.ConfigRead, `cannot read ${logFile}: ${reason}`, { cause: err });
  }
  const log = parseAccessLog(text);
  const name = logFile === "-" ? "stdin" : logFile;
  if (log.records.length === 0) {
    throw new AigwError(
      ErrorCode.Usage,
      `${name} holds no access-log lines (JSON lines with "type":"access"; ${log.otherLines} other, ${log.malformedLines} malformed)`,
    );
  }

  const reviewed = await snapshotOrFindings(file, io, opts.format, review);
  if (reviewed === undefined) return ExitCode.Findings;
  io = reviewed.io; // prints no value the config took from the environment
  const report = replay(reviewed.snapshot, name, log);
  io.stdout(opts.format === "json" ? jsonWithNotices(formatReplayJson(report), reviewed.notices) : formatReplayText(report, io.colour) + textNotices(reviewed.notices, io.colour));
  return report.different === 0 ? ExitCode.Ok : ExitCode.Findings;
}
