import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { hasErrors, sortDiagnostics } from "../config/diagnostic.js";
import { routePositions } from "../compile/build.js";
import { runPipeline } from "../config/run-stages.js";
import { summarizeChanges } from "../plan/summary.js";
import { hashCanonical } from "../config/canonical.js";
import { scrubList } from "../config/provenance.js";
import type { BuildMessage, BuildRequest } from "./messages.js";

const ROUTE_CHUNK = 1000;

/**
 * The pure pipeline for a reload, producing the messages the main thread
 * assembles; then, when the config's plugins name files, the checks that
 * open them (custom modules imported and their configs checked against
 * their schemas, JSON Schema files compiled), so a bad plugin fails the
 * reload with positions. Runs in the build worker (or in-process as a
 * fallback).
 */
export async function buildMessages(req: BuildRequest): Promise<BuildMessage[]> {
  const fileExists = (path: string): boolean => existsSync(path.startsWith("/") ? path : join(req.baseDir, path));
  const result = runPipeline(req.text, req.file, { mode: req.mode, env: req.env, fileExists });
  let r = result.resolved;
  if (r !== undefined) {
    const { needsPluginFileCheck, checkPluginFiles } = await import("../plugins/check.js");
    if (needsPluginFileCheck(r.config)) {
      const found = await checkPluginFiles(r.source, r.config, { mode: req.mode, baseDir: req.baseDir, allowPluginPaths: req.allowPluginPaths ?? [], readFile: (path) => readFile(path, "utf8"), fileExists, secretValues: r.secretValues });
      result.diagnostics = sortDiagnostics([...result.diagnostics, ...found]);
      if (hasErrors(found)) r = undefined;
    }
  }
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
      secrets: scrubList(r.secretValues).map((s) => s.value),
    },
  ];
  for (let i = 0; i < routes.length; i += ROUTE_CHUNK) messages.push({ type: "routes", id: req.id, routes: routes.slice(i, i + ROUTE_CHUNK) });
  messages.push({ type: "end", id: req.id });
  return messages;
}
