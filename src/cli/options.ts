import { Option } from "commander";

/** Shared bits of command declarations. */
/** The `Examples:` block of a command's --help. */
export const examples = (lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

export function formatOption(choices: readonly string[]): Option {
  return new Option("-f, --format <format>", "output format").choices([...choices]).default("text");
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const LOAD_PLUGINS_HELP =
  "import custom plugin modules (runs their code) to check their configs against their schemas; only for trusted configs, never in CI with an admin token in reach";
const ALLOW_PLUGIN_PATH_HELP = "a directory besides the config file's own that may hold plugin modules (repeatable)";

/** `--allow-plugin-path <dir>` (repeatable): where plugin modules may live besides the config's directory. */
export function allowPluginPathOption(): Option {
  return new Option("--allow-plugin-path <dir>", ALLOW_PLUGIN_PATH_HELP).argParser(collect).default([], "none");
}

/** `--load-plugins`: the review commands import custom plugin modules only when given it. */
export function loadPluginsOption(): Option {
  return new Option("--load-plugins", LOAD_PLUGINS_HELP).default(false);
}
