import { runPipeline, type PipelineOptions, type PipelineResult } from "../config/run-stages.js";
import { locate, type Position, type SourceDocument } from "../config/source.js";
import { compile } from "./compile.js";
import type { Snapshot } from "./snapshot.js";

export interface BuildResult extends PipelineResult {
  /** Present when the config is valid. */
  snapshot: Snapshot | undefined;
}

/** Where each `routes[i]` starts in the file. */
export function routePositions(source: SourceDocument, count: number): Position[] {
  const out: Position[] = [];
  for (let i = 0; i < count; i++) out.push(locate(source, ["routes", i]));
  return out;
}

/** The whole pure pipeline, compile included: text → findings and, when valid, a snapshot. */
export function buildSnapshot(text: string, file: string, options: PipelineOptions): BuildResult {
  const result = runPipeline(text, file, options);
  const r = result.resolved;
  const snapshot =
    r === undefined
      ? undefined
      : compile({ config: r.config, canonical: r.canonical, file, routePositions: routePositions(r.source, r.config.routes.length) });
  return { ...result, snapshot };
}
