import type { Command } from "commander";
import type { Io } from "../io.js";
import { allowPluginPathOption, examples, formatOption, loadPluginsOption } from "../options.js";

const FORMATS = ["text", "json", "markdown"];
const TOKEN_HELP = "admin bearer token for an admin URL source (default: $AIGW_ADMIN_TOKEN)";
const SOURCES = "a file, git:<ref>:<path>, or a gateway's admin URL (http://host:9090)";

/** Declares the plan commands on `program`; each action lazily imports its module and reports its exit code. */
export function declarePlanCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command("diff")
    .description("semantic diff of two configs: objects added, removed, changed, field by field (0; with --exit-code 0 same, 1 differ; 2 error)")
    .argument("<old>", `the old config: ${SOURCES}`)
    .argument("<new>", `the new config: ${SOURCES}`)
    .addOption(formatOption(FORMATS))
    .option("--exit-code", "exit 1 when the configs differ, 0 when they are the same", false)
    .option("--token <token>", TOKEN_HELP)
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw diff old.yaml gateway.yaml",
        "aigw diff git:main:gateway.yaml gateway.yaml --format json | jq '.changes[]'",
        "aigw diff old.yaml gateway.yaml --exit-code >/dev/null || echo changed",
      ]),
    )
    .action(async (oldSpec: string, newSpec: string, opts: import("../commands/diff.js").DiffOptions) => {
      const { diffCommand } = await import("../commands/diff.js");
      setCode(await diffCommand(oldSpec, newSpec, opts, io));
    });

  program
    .command("plan")
    .description(
      "what applying a config would change, against a running gateway or a base config, with risk (0; with --detailed-exitcode 0 none, 2 changes, 3 high risk, 1 error)",
    )
    .argument("<file>", "the proposed config")
    // Required, but checked by the command so that --detailed-exitcode can answer 1 (commander's usage errors exit 2).
    .option("--against <source>", `(required) what runs now: ${SOURCES}`)
    .addOption(formatOption(FORMATS))
    .option("--token <token>", TOKEN_HELP)
    .option("--detailed-exitcode", "exit 0 no changes, 2 changes, 3 changes with a high-risk one, 1 error", false)
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      "\nReview commands never import custom plugin modules unless --load-plugins is given. `plan --against` runs in CI with an\n" +
        "admin token: never give it --load-plugins there (a pull request's plugin module would run with the token in reach).\n",
    )
    .addHelpText(
      "after",
      examples([
        "aigw plan gateway.yaml --against http://127.0.0.1:9090",
        "AIGW_ADMIN_TOKEN=... aigw plan gateway.yaml --against https://aigw-admin.internal:9090 --format markdown > plan.md",
        "aigw plan gateway.yaml --against git:origin/main:gateway.yaml --detailed-exitcode",
        "aigw plan gateway.yaml --against previous.yaml --format json | jq .summary",
      ]),
    )
    .action(async (file: string, opts: import("../commands/plan.js").PlanOptions) => {
      const { planCommand } = await import("../commands/plan.js");
      setCode(await planCommand(file, opts, io));
    });
}
