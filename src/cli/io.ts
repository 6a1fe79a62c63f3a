import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stdout is a terminal: colour allowed. */
  readonly colour: boolean;
  readFile(path: string): Promise<string>;
  fileExists(path: string): boolean;
  readStdin(): Promise<string>;
}

export function processIo(): Io {
  const cwd = process.cwd();
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd,
    colour: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    readFile: (path) => readFile(resolve(cwd, path), "utf8"),
    fileExists: (path) => existsSync(resolve(cwd, path)),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}
