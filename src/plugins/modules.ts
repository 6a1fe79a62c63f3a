import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { ErrorCode } from "../errors/codes.js";
import { AigwError } from "../errors/errors.js";
import { checkPluginPath, OUTSIDE_HINT, type PluginPaths } from "./paths.js";
import type { Plugin } from "./types.js";

/**
 * Imports a plugin module named by a config's `module:` (as written). The
 * only way aigw runs plugin code: the path must pass `checkPluginPath`
 * (else an AigwError `ConfigInvalid`), and the file imported is the real
 * path that was checked, so no symlink is followed after the check. The
 * URL carries a hash of the file's content, so a module changed on disk is
 * imported afresh by the next load (Node caches modules by URL for the
 * life of the process; modules the plugin itself imports are cached as
 * usual).
 */
export async function importPluginModule(module: string, paths: PluginPaths): Promise<unknown> {
  const verdict = checkPluginPath(module, paths);
  if (!verdict.ok) throw new AigwError(ErrorCode.ConfigInvalid, verdict.reason, { hint: OUTSIDE_HINT });
  const text = await readFile(verdict.file);
  const version = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return import(`${pathToFileURL(verdict.file).href}?v=${version}`);
}

/** The plugin a module exports by default, or why it is not one. */
export function pluginOf(mod: unknown): Plugin | string {
  const p = (mod as { default?: unknown } | null)?.default;
  if (p === null || typeof p !== "object") return "its default export is not an object ({ name, schema?, create })";
  const o = p as Record<string, unknown>;
  if (typeof o.name !== "string" || o.name === "") return "its default export has no `name` string";
  if (typeof o.create !== "function") return "its default export has no `create(config)` function";
  if (o.schema !== undefined && typeof o.schema !== "boolean" && (o.schema === null || typeof o.schema !== "object")) return "its `schema` is not a JSON Schema object";
  return p as Plugin;
}

/** The first line of an error's message (import errors can carry a whole stack). */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!.slice(0, 300);
}
