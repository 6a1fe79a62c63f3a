import type { Snapshot } from "../compile/snapshot.js";
import { buildFromFile } from "./config-file.js";
import type { Io } from "./io.js";
import { formatJson, formatText } from "./output/findings.js";

/**
 * The snapshot of a config, or undefined after printing why there is none
 * (the findings, on stdout, in the command's format).
 */
export async function snapshotOrFindings(file: string, io: Io, format: string): Promise<Snapshot | undefined> {
  const result = await buildFromFile(file, io, "validate");
  if (result.snapshot !== undefined) return result.snapshot;
  io.stdout(format === "json" ? formatJson(false, result.diagnostics) : formatText(result.diagnostics, io.colour));
  return undefined;
}
