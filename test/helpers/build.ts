import { buildSnapshot, type BuildResult } from "../../src/compile/build.js";
import type { Snapshot } from "../../src/compile/snapshot.js";

/** Runs the whole pure pipeline on YAML text (validate mode unless told). */
export function build(yaml: string, options: { env?: Record<string, string>; mode?: "validate" | "serve"; file?: string } = {}): BuildResult {
  return buildSnapshot(yaml, options.file ?? "gateway.yaml", {
    mode: options.mode ?? "validate",
    env: options.env ?? {},
    fileExists: () => true,
  });
}

/** A snapshot, or a thrown error listing the findings. */
export function snapshotOf(yaml: string, env: Record<string, string> = {}): Snapshot {
  const result = build(yaml, { env });
  if (result.snapshot === undefined) {
    throw new Error("config invalid:\n" + result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join("\n"));
  }
  return result.snapshot;
}
