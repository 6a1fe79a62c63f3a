import { dirname, join, resolve } from "node:path";
import { hasErrors, sortDiagnostics } from "../config/diagnostic.js";
import { buildSnapshot, type BuildResult } from "../compile/build.js";
import type { Mode } from "../config/interpolate.js";
import { AigwError } from "../errors/errors.js";
import { ErrorCode } from "../errors/codes.js";
import type { Io } from "./io.js";
import { MAX_CONFIG_BYTES } from "../config/limits.js";
import type { PluginReview } from "./plugin-review.js";

/**
 * Reads a config file and runs the whole pure pipeline on it, then the
 * checks of the files its plugins name. Custom modules are imported only
 * as `review` allows. An unreadable file is an AigwError (exit 2).
 */
export async function buildFromFile(file: string, io: Io, mode: Mode, review: PluginReview): Promise<BuildResult> {
  let text: string;
  try {
    // One byte past the limit is enough for the parser to refuse it (config.too-large).
    text = await io.readFile(file, MAX_CONFIG_BYTES + 1);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new AigwError(ErrorCode.ConfigRead, `cannot read ${file}: ${reason}`, { cause: err });
  }
  const base = dirname(file);
  return checkBuilt(buildSnapshot(text, file, { mode, env: io.env, fileExists: filesIn(base, io) }), base, io, mode, review);
}

/** Whether a file a config names exists: as written, relative to the config's folder `base` (itself relative to the cwd). */
export function filesIn(base: string, io: Io): (path: string) => boolean {
  return (path) => io.fileExists(path.startsWith("/") ? path : join(base, path));
}

/**
 * Adds the plugin file checks to a build: module paths must stay in the
 * config's folder (or an allowed one), modules are imported only when
 * `review.load`, and `json-schema` files are compiled.
 */
export async function checkBuilt(result: BuildResult, base: string, io: Io, mode: Mode, review: PluginReview): Promise<BuildResult> {
  const r = result.resolved;
  if (result.snapshot === undefined || r === undefined) return result;
  const { needsPluginFileCheck, checkPluginFiles } = await import("../plugins/check.js");
  if (!needsPluginFileCheck(r.config)) return result;
  const found = await checkPluginFiles(r.source, r.config, {
    mode,
    baseDir: resolve(io.cwd, base),
    readFile: (path) => io.readFile(path),
    fileExists: filesIn(base, io),
    secretValues: r.secretValues,
    load: review.load,
    allowPluginPaths: review.allowPluginPaths,
  });
  if (found.length === 0) return result;
  return { ...result, diagnostics: sortDiagnostics([...result.diagnostics, ...found]), snapshot: hasErrors(found) ? undefined : result.snapshot };
}
