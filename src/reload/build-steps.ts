import { existsSync } from "node:fs";
import { join } from "node:path";
import { routePositions } from "../compile/build.js";
import { runPipeline } from "../config/pipeline.js";
import { summarizeChanges } from "../plan/summary.js";
import { hashCanonical } from "../config/canonical.js";
import type { BuildMessage, BuildRequest } from "./messages.js";

const ROUTE_CHUNK = 1000;

/**
 * The pure pipeline for a reload, producing the messages the main thread
 * assembles. Runs in the build worker (or in-process as a fallback).
 */
export function buildMessages(req: BuildRequest): BuildMessage[] {
  const result = runPipeline(req.text, req.file, {
    mode: req.mode,
    env: req.env,
    fileExists: (path) => existsSync(path.startsWith("/") ? path : join(req.baseDir, path)),
  });
  const r = result.resolved;
  if (r === undefined) return [{ type: "head", id: req.id, diagnostics: result.diagnostics, ok: false }, { type: "end", id: req.id }];
  const canonical = JSON.stringify(r.canonical);
  const { routes = [], ...head } = r.config;
  const messages: BuildMessage[] = [
    {
      type: "head",
      id: req.id,
      diagnostics: result.diagnostics,
      ok: true,
      hash: hashCanonical(r.canonical),
      canonical,
      config: head,
      routeCount: routes.length,
      routePositions: routePositions(r.source, routes.length),
      summary: summarizeChanges(req.previousCanonical === null ? null : (JSON.parse(req.previousCanonical) as Record<string, unknown>), r.canonical),
    },
  ];
  for (let i = 0; i < routes.length; i += ROUTE_CHUNK) messages.push({ type: "routes", id: req.id, routes: routes.slice(i, i + ROUTE_CHUNK) });
  messages.push({ type: "end", id: req.id });
  return messages;
}
