import { Command, CommanderError } from "commander";
import { AigwError } from "../errors/errors.js";
import { ErrorCode } from "../errors/codes.js";
import { ExitCode } from "./exit-codes.js";
import type { Io } from "./io.js";
import { packageVersion } from "../version.js";
import { declareConfigCommands } from "./declare/config.js";
import { declareLintCommands } from "./declare/lint.js";
import { declarePlanCommands } from "./declare/plan.js";
import { declareServeCommand } from "./declare/serve.js";
import { declareTestingCommands } from "./declare/testing.js";

/** Declares the commands; each action imports its module lazily and stores its exit code. */
function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command()
    .name("aigw")
    .description("A declarative API gateway for AI services: validate, review and serve gateway.yaml.")
    .version(packageVersion(), "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  declareConfigCommands(program, io, setCode);
  declareServeCommand(program, io, setCode);
  declareLintCommands(program, io, setCode);
  declarePlanCommands(program, io, setCode);
  declareTestingCommands(program, io, setCode);
  return program;
}

/**
 * Runs the CLI and returns the exit code. The only place that maps errors
 * to exit codes; `bin/aigw` sets the process's exit code from it.
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return ExitCode.Usage;
    }
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) return ExitCode.Ok;
      // Under `plan --detailed-exitcode`, 2 means "changes": errors are 1 there (as in Terraform).
      return argv.includes("--detailed-exitcode") ? ExitCode.Findings : ExitCode.Usage;
    }
    if (AigwError.is(err) && (err.code === ErrorCode.Usage || err.code === ErrorCode.ConfigRead || err.code === ErrorCode.WriteFile)) {
      io.stderr(`aigw: ${err.message}\n`);
      return ExitCode.Usage;
    }
    io.stderr(
      `aigw: internal error: ${(err as Error | undefined)?.stack ?? String(err)}\n` +
        "This is a bug in aigw. Please report it with the command you ran and the output above.\n",
    );
    return ExitCode.Usage;
  }
}
