import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { STARTER_CONFIG } from "../templates/gateway-yaml.js";

export interface InitOptions {
  force: boolean;
  format: "text" | "json";
}

/**
 * `aigw init [file]`: writes the commented starter config (`./gateway.yaml`
 * by default; `-` prints it to stdout). An existing file is left alone
 * unless `--force`: exit 1.
 */
export async function initCommand(file: string, opts: InitOptions, io: Io): Promise<number> {
  if (file === "-") {
    io.stdout(STARTER_CONFIG);
    return ExitCode.Ok;
  }
  const refuse = (): number => {
    io.stderr(`aigw: ${file} already exists; use --force to overwrite it, or \`aigw init -\` to print the starter config\n`);
    return ExitCode.Findings;
  };
  if (!opts.force && io.fileExists(file)) return refuse();
  try {
    // "wx" closes the race between the check above and the write.
    await writeFile(resolve(io.cwd, file), STARTER_CONFIG, { flag: opts.force ? "w" : "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return refuse();
    throw new AigwError(ErrorCode.WriteFile, `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (opts.format === "json") io.stdout(JSON.stringify({ file, written: true }) + "\n");
  else io.stdout(`wrote ${file}\nnext: aigw validate ${file} && aigw serve --config ${file}\n`);
  return ExitCode.Ok;
}
