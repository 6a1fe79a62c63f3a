import { dirname, join } from "node:path";
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
  return buildSnapshot(text, file, {
    mode,
    env: io.env,
    fileExists: (path) => io.fileExists(path.startsWith("/") ? path : join(base, path)),
  });
}
