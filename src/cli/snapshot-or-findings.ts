import type { Snapshot } from "../compile/snapshot.js";
import type { Diagnostic } from "../config/diagnostic.js";
import { buildFromFile } from "./config-file.js";
import type { Io } from "./io.js";
import { scrubList, scrubValues } from "../config/provenance.js";
import { formatJson, formatText } from "./output/findings.js";
import { reviewNotices, type PluginReview } from "./plugin-review.js";

/** A valid config's snapshot and what the command must still say about it (modules not loaded). */
export interface Reviewed {
  snapshot: Snapshot;
  notices: Diagnostic[];
  /**
   * The command's io with every value the config took from `${VAR}` taken
   * out of what it prints: route matches, explain traces and replay reports
   * quote config values, and a secret's provenance, not its name, decides.
   */
  io: Io;
}

/**
 * The snapshot of a config, or undefined after printing why there is none
 * (the findings, on stdout, in the command's format).
 */
export async function snapshotOrFindings(file: string, io: Io, format: string, review: PluginReview): Promise<Reviewed | undefined> {
  const result = await buildFromFile(file, io, "validate", review);
  if (result.snapshot !== undefined) {
    const list = scrubList(result.resolved?.secretValues ?? []);
    const scrub = (text: string): string => scrubValues(text, list);
    const scrubbed: Io = { ...io, stdout: (text) => io.stdout(scrub(text)), stderr: (text) => io.stderr(scrub(text)) };
    return { snapshot: result.snapshot, notices: reviewNotices(result.diagnostics), io: scrubbed };
  }
  io.stdout(format === "json" ? formatJson(false, result.diagnostics) : formatText(result.diagnostics, io.colour));
  return undefined;
}
