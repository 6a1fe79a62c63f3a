import { sha256Hex } from "../../compile/identity.js";
import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";

export interface HashKeyOptions {
  format: "text" | "json";
}

/**
 * `aigw hash-key`: the sha256 form of an API key read from stdin, for
 * `auth[].keys[].sha256`. One trailing newline (`echo`, a heredoc) is not
 * part of the key; anything else is. Empty input is a usage error.
 */
export async function hashKeyCommand(opts: HashKeyOptions, io: Io): Promise<number> {
  const input = await io.readStdin();
  const key = input.endsWith("\r\n") ? input.slice(0, -2) : input.endsWith("\n") ? input.slice(0, -1) : input;
  if (key === "") throw new AigwError(ErrorCode.Usage, "no key on stdin: pipe the key in, e.g. printf %s \"$KEY\" | aigw hash-key");
  const hex = sha256Hex(key);
  io.stdout(opts.format === "json" ? JSON.stringify({ sha256: hex }) + "\n" : `${hex}\n`);
  return ExitCode.Ok;
}
