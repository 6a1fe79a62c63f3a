import { runPipeline, type PipelineOptions, type PipelineResult } from "../config/pipeline.js";
import { compile } from "./compile.js";
import type { Snapshot } from "./snapshot.js";

export interface BuildResult extends PipelineResult {
  /** Present when the config is valid. */
  snapshot: Snapshot | undefined;
}

/** The whole pure pipeline, compile included: text → findings and, when valid, a snapshot. */
export function buildSnapshot(text: string, file: string, options: PipelineOptions): BuildResult {
  const result = runPipeline(text, file, options);
  const snapshot =
    result.resolved === undefined ? undefined : compile(result.resolved.config, result.resolved.canonical, result.resolved.source);
  return { ...result, snapshot };
}
