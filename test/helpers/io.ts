import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Io } from "../../src/cli/io.js";
import { run } from "../../src/cli/main.js";

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured output. Files resolve against `cwd`
 * (the repository root by default); `files` adds in-memory files.
 */
export async function runCli(
  argv: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; files?: Record<string, string>; stdin?: string } = {},
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const cwd = options.cwd ?? resolve(import.meta.dirname, "../..");
  const files = options.files ?? {};
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: options.env ?? {},
    cwd,
    colour: false,
    readFile: async (path) => {
      if (path in files) return files[path]!;
      return readFileSync(resolve(cwd, path), "utf8");
    },
    fileExists: (path) => path in files || existsSync(resolve(cwd, path)),
    readStdin: async () => options.stdin ?? "",
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
