import { Command, CommanderError } from "commander";
import { allowPluginPathOption, collect, examples, formatOption, loadPluginsOption } from "./options.js";
import { AigwError } from "../errors/errors.js";
import { ErrorCode } from "../errors/codes.js";
import { ExitCode } from "./exit-codes.js";
import type { Io } from "./io.js";
import { FINDINGS_FORMATS } from "./output/findings.js";
import { packageVersion } from "../version.js";
import { declareLintCommands } from "./declare/lint.js";
import { declarePlanCommands } from "./declare/plan.js";
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

  program
    .command("validate")
    .description("check config files: YAML, schema, references, compilation (0 valid, 1 invalid, 2 usage/IO error)")
    .argument("<files...>", "config files")
    .addOption(formatOption(FINDINGS_FORMATS))
    .option("--strict", "check as `serve` would: unset ${VAR} and missing files are errors", false)
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw validate gateway.yaml",
        "aigw validate gateway.yaml examples/*.yaml --format github",
        "aigw validate gateway.yaml --format json | jq '.findings[]'",
        "aigw validate gateway.yaml --load-plugins   # also import custom plugins to check their configs (trusted configs only)",
      ]),
    )
    .action(async (files: string[], opts: import("./commands/validate.js").ValidateOptions) => {
      const { validateCommand } = await import("./commands/validate.js");
      setCode(await validateCommand(files, opts, io));
    });

  program
    .command("schema")
    .description("print the JSON Schema of gateway.yaml")
    .addHelpText("after", examples(["aigw schema > gateway.schema.json"]))
    .action(async () => {
      const { schemaCommand } = await import("./commands/schema.js");
      setCode(await schemaCommand(io));
    });

  program
    .command("routes")
    .description("print the compiled routing table in precedence order")
    .argument("<file>", "config file")
    .addOption(formatOption(["text", "json"]))
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText("after", examples(["aigw routes gateway.yaml", "aigw routes gateway.yaml --format json"]))
    .action(async (file: string, opts: import("./commands/routes.js").RoutesOptions) => {
      const { routesCommand } = await import("./commands/routes.js");
      setCode(await routesCommand(file, opts, io));
    });

  program
    .command("explain")
    .description("trace how a request would be routed: route, auth, limits, fallback, cacheability (0 matched, 1 no route)")
    .argument("<file>", "config file")
    .requiredOption("--path <path>", "request path (query allowed)")
    .option("--method <method>", "request method", "GET")
    .option("--header <name:value>", "a request header (repeatable)", collect, [])
    .option("--model <model>", "the body's model")
    .option("--consumer <name>", "treat the caller as this consumer")
    .option("--body <json>", "the JSON body (for model and cacheability)")
    .addOption(formatOption(["text", "json"]))
    .addOption(loadPluginsOption())
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw explain gateway.yaml --method POST --path /v1/chat/completions --model gpt-4o",
        "aigw explain gateway.yaml --path /v1/analytics/x --header host:api.example.com --format json",
        'aigw explain gateway.yaml --method POST --path /v1/chat/completions --header "authorization: Bearer $KEY"',
      ]),
    )
    .action(async (file: string, opts: import("./commands/explain.js").ExplainOptions) => {
      const { explainCommand } = await import("./commands/explain.js");
      setCode(await explainCommand(file, opts, io));
    });

  program
    .command("serve")
    .description("run the gateway: the data plane on server.listen, probes, metrics and /admin on server.admin")
    .requiredOption("-c, --config <file>", "config file", "gateway.yaml")
    .option("--no-watch", "do not reload when the file changes (SIGHUP and POST /admin/reload still do)")
    .option("--workers <n>", 'processes serving the data listener on one port (node:cluster), or "auto" for one per CPU; default 1 or AIGW_WORKERS')
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw serve --config gateway.yaml",
        "AIGW_ADMIN_TOKEN=... aigw serve --config /etc/aigw/gateway.yaml",
        "aigw serve --config gateway.yaml --workers auto",
        "aigw serve --config /etc/aigw/gateway.yaml --allow-plugin-path /opt/aigw/plugins",
        "kill -HUP <pid>   # reload now",
      ]),
    )
    .action(async (opts: import("./commands/serve.js").ServeCommandOptions) => {
      const { serveCommand } = await import("./commands/serve.js");
      setCode(await serveCommand(opts, io));
    });

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
