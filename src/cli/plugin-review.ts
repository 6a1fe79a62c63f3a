import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Diagnostic } from "../config/diagnostic.js";
import { ErrorCode } from "../errors/codes.js";
import { AigwError } from "../errors/errors.js";
import { NOT_LOADED_RULE } from "../plugins/paths.js";
import { escapeXml } from "../routing-tests/xml.js";
import { formatText, toFinding } from "./output/findings.js";

/**
 * What a command may do with the custom plugin modules a config names. A
 * config under review is code from whoever wrote the change: its modules
 * are imported only when the operator asks (`--load-plugins`), and only
 * from the config's directory or one the operator named.
 */
export interface PluginReview {
  /** Import modules (runs their code) to check their configs against their schemas. */
  readonly load: boolean;
  /** Absolute directories besides the config's own that may hold modules. */
  readonly allowPluginPaths: readonly string[];
}

/** The flags as commander parses them (`--load-plugins`, `--allow-plugin-path <dir>`, repeatable). */
export interface PluginFlags {
  loadPlugins?: boolean;
  allowPluginPath?: string[];
}

/** The review policy of a command's flags; an allowed path that is not a directory is a usage error. */
export function pluginReview(flags: PluginFlags, cwd: string): PluginReview {
  const allowPluginPaths = (flags.allowPluginPath ?? []).map((dir) => {
    const abs = resolve(cwd, dir);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new AigwError(ErrorCode.Usage, `--allow-plugin-path ${dir}: not a directory`);
    return abs;
  });
  return { load: flags.loadPlugins === true, allowPluginPaths };
}

/**
 * The findings a command that prints data (not findings) still owes its
 * reader: which modules it did not load, so which configs went unchecked.
 */
export function reviewNotices(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.rule === NOT_LOADED_RULE);
}

/** A data command's JSON document with the notices added as `findings` (left out when there are none). */
export function jsonWithNotices(json: string, notices: readonly Diagnostic[]): string {
  if (notices.length === 0) return json;
  const doc = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...doc, findings: notices.map(toFinding) }, null, 2) + "\n";
}

/** The notices as text lines, after a data command's own text output. */
export function textNotices(notices: readonly Diagnostic[], colour: boolean): string {
  return notices.length === 0 ? "" : "\n" + formatText(notices, colour);
}

/** A JUnit report with the notices as suite properties (`finding` = the text form), which dashboards show with the suite. */
export function junitWithNotices(xml: string, notices: readonly Diagnostic[]): string {
  if (notices.length === 0) return xml;
  const props = notices.map((d) => `      <property name="finding" value="${escapeXml(`${d.file}:${d.line}:${d.column} ${d.severity} [${d.rule}] ${d.message}`)}"/>\n`).join("");
  return xml.replace("    <properties>\n", (open) => open + props);
}
