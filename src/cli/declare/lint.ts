import { InvalidArgumentError, type Command } from "commander";
import type { Io } from "../io.js";
import { allowPluginPathOption, examples, formatOption, loadPluginsOption } from "../options.js";
import { FINDINGS_FORMATS } from "../output/findings.js";

/** `--max-warnings <n>`: a non-negative integer. */
function parseMaxWarnings(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a non-negative integer");
  return Number(value);
}

/** Declares the lint commands on `program`; each action lazily imports its module and reports its exit code. */
export function declareLintCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command("lint")
    .description("best-practice rules over a valid config, each with an id and a severity (0 clean or warnings only, 1 errors, 2 usage/IO error)")
    .argument("[file]", "config file")
    .addOption(formatOption(FINDINGS_FORMATS))
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings", parseMaxWarnings)
    .option("--list-rules", "print every rule with its default severity and what it catches", false)
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      "\nRules are configured in the file: `lint: { rules: { route.public-ai: off, upstream.unused: error } }`.\n" +
        examples([
          "aigw lint gateway.yaml",
          "aigw lint gateway.yaml --format github --max-warnings 0",
          "aigw lint gateway.yaml --format sarif > aigw.sarif",
          "aigw lint --list-rules",
        ]),
    )
    .action(async (file: string | undefined, opts: import("../commands/lint.js").LintCommandOptions) => {
      const { lintCommand } = await import("../commands/lint.js");
      setCode(await lintCommand(file, opts, io));
    });
}
