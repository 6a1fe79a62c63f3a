import { Option, type Command } from "commander";
import type { Io } from "../io.js";
import { allowPluginPathOption, examples, formatOption, loadPluginsOption } from "../options.js";

/** Declares the testing commands on `program`; each action lazily imports its module and reports its exit code. */
export function declareTestingCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command("test")
    .description("run routing assertions from a cases file against a config; route and policy coverage (0 all pass, 1 failures, 2 usage/IO error)")
    .argument("<file>", "config file")
    .argument("<cases>", "cases file (YAML: cases: [{name, request, expect}])")
    .addOption(formatOption(["text", "json", "junit"]))
    .addOption(new Option("--fail-under <percent>", "exit 1 when route coverage is under this percentage"))
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw test gateway.yaml tests/routing.yaml",
        "aigw test gateway.yaml tests/routing.yaml --fail-under 90",
        "aigw test gateway.yaml tests/routing.yaml --format junit > junit.xml",
        "TEAM_A_KEY=... aigw test gateway.yaml tests/routing.yaml --format json | jq '.cases[] | select(.ok | not)'",
      ]),
    )
    .action(async (file: string, cases: string, opts: import("../commands/test.js").TestOptions) => {
      const { testCommand } = await import("../commands/test.js");
      setCode(await testCommand(file, cases, opts, io));
    });

  program
    .command("replay")
    .description("replay an access log through a proposed config; report the decisions that would change (0 same, 1 differences, 2 usage/IO error)")
    .argument("<file>", "the proposed config file")
    .argument("<log>", "access log, JSON Lines as the gateway writes them (- for stdin)")
    .addOption(formatOption(["text", "json"]))
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw replay gateway.yaml access.jsonl",
        "kubectl logs deploy/aigw --since=24h | aigw replay gateway.yaml -",
        "aigw replay gateway.yaml access.jsonl --format json | jq '.differences[] | {message, count}'",
      ]),
    )
    .action(async (file: string, log: string, opts: import("../commands/replay.js").ReplayOptions) => {
      const { replayCommand } = await import("../commands/replay.js");
      setCode(await replayCommand(file, log, opts, io));
    });

  program
    .command("init")
    .description("write a commented starter gateway.yaml (exit 1 if the file exists, unless --force)")
    .argument("[file]", "where to write it; - prints it to stdout", "gateway.yaml")
    .option("--force", "overwrite an existing file", false)
    .addOption(formatOption(["text", "json"]))
    .addHelpText("after", examples(["aigw init", "aigw init - > gateway.example.yaml", "aigw init --force"]))
    .action(async (file: string, opts: import("../commands/init.js").InitOptions) => {
      const { initCommand } = await import("../commands/init.js");
      setCode(await initCommand(file, opts, io));
    });

  program
    .command("hash-key")
    .description("print the sha256 form of an API key read from stdin, for auth[].keys[].sha256")
    .addOption(formatOption(["text", "json"]))
    .addHelpText("after", examples(['printf %s "$KEY" | aigw hash-key', "aigw hash-key < key.txt"]))
    .action(async (opts: import("../commands/hash-key.js").HashKeyOptions) => {
      const { hashKeyCommand } = await import("../commands/hash-key.js");
      setCode(await hashKeyCommand(opts, io));
    });
}
