import { dirname, join, resolve } from "node:path";
import { hasErrors, sortDiagnostics } from "../config/diagnostic.js";
import { buildSnapshot, type BuildResult } from "../compile/build.js";
import type { Mode } from "../config/interpolate.js";
import { AigwError } from "../errors/errors.js";
import { ErrorCode } from "../errors/codes.js";
import type { Io } from "./io.js";

/** Reads a config file and runs the whole pure pipeline on it. An unreadable file is an AigwError (exit 2). */
export async function buildFromFile(file: string, io: Io, mode: Mode): Promise<BuildResult> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new AigwError(ErrorCode.ConfigRead, `cannot read ${file}: ${reason}`, { cause: err });
  }
  const base = dirname(file);
  const fileExists = (path: string): boolean => io.fileExists(path.startsWith("/") ? path : join(base, path));
  const result = buildSnapshot(text, file, { mode, env: io.env, fileExists });
  const r = result.resolved;
  if (result.snapshot === undefined || r === undefined) return result;
  // Plugins that name files (custom modules, JSON Schemas): those files are opened and checked too.
  const { needsPluginFileCheck, checkPluginFiles } = await import("../plugins/check.js");
  if (!needsPluginFileCheck(r.config)) return result;
  const found = await checkPluginFiles(r.source, r.config, {
    mode,
    baseDir: resolve(io.cwd, base),
    readFile: (path) => io.readFile(path),
    fileExists,
    secretValues: r.secretValues,
  });
  if (found.length === 0) return result;
  return { ...result, diagnostics: sortDiagnostics([...result.diagnostics, ...found]), snapshot: hasErrors(found) ? undefined : result.snapshot };
}
