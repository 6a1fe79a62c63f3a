import { existsSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { resolve } from "node:path";

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stdout is a terminal: colour allowed. */
  readonly colour: boolean;
  /** The file's text; with `maxBytes`, at most that many bytes of it (a config larger than its limit is then refused by the parser, never read whole). */
  readFile(path: string, maxBytes?: number): Promise<string>;
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
    readFile: (path, maxBytes) => (maxBytes === undefined ? readFile(resolve(cwd, path), "utf8") : readPrefix(resolve(cwd, path), maxBytes)),
    fileExists: (path) => existsSync(resolve(cwd, path)),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/**
 * The first `maxBytes` bytes of a file as text (a FIFO or /dev/zero
 * included: it never reads more). Read in chunks, so a small file costs a
 * small buffer, not `maxBytes` of zeroed memory.
 */
async function readPrefix(path: string, maxBytes: number): Promise<string> {
  const handle = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let filled = 0;
    while (filled < maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, maxBytes - filled));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      filled += bytesRead;
    }
    return Buffer.concat(chunks, filled).toString("utf8");
  } finally {
    await handle.close();
  }
}

const READ_CHUNK_BYTES = 64 * 1024;
