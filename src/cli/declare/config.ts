import type { Command } from "commander";
import type { Io } from "../io.js";
import { allowPluginPathOption, collect, examples, formatOption, loadPluginsOption } from "../options.js";
import { FINDINGS_FORMATS } from "../output/findings.js";

/** Declares the commands that read one config: validate, schema, routes, explain; each action lazily imports its module and reports its exit code. */
export function declareConfigCommands(program: Command, io: Io, setCode: (code: number) => void): void {
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
    .action(async (files: string[], opts: import("../commands/validate.js").ValidateOptions) => {
      const { validateCommand } = await import("../commands/validate.js");
      setCode(await validateCommand(files, opts, io));
    });

  program
    .command("schema")
    .description("print the JSON Schema of gateway.yaml")
    .addHelpText("after", examples(["aigw schema > gateway.schema.json"]))
    .action(async () => {
      const { schemaCommand } = await import("../commands/schema.js");
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
    .action(async (file: string, opts: import("../commands/routes.js").RoutesOptions) => {
      const { routesCommand } = await import("../commands/routes.js");
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
    .action(async (file: string, opts: import("../commands/explain.js").ExplainOptions) => {
      const { explainCommand } = await import("../commands/explain.js");
      setCode(await explainCommand(file, opts, io));
    });
}
