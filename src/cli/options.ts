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

