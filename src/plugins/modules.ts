import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import type { Plugin } from "./types.js";

/**
 * Imports a plugin module. The URL carries a hash of the file's content, so
 * a module changed on disk is imported afresh by the next load (Node caches
 * modules by URL for the life of the process; modules the plugin itself
 * imports are cached as usual).
 */
export async function importPluginModule(path: string): Promise<unknown> {
  const text = await readFile(path);
  const version = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return import(`${pathToFileURL(path).href}?v=${version}`);
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
