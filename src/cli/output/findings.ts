import { toFinding, type Diagnostic } from "../../config/diagnostic.js";
import { ruleInfo } from "../../config/rules.js";
import { paint } from "./colour.js";

export type FindingsFormat = "text" | "json" | "github" | "sarif";
export const FINDINGS_FORMATS: readonly FindingsFormat[] = ["text", "json", "github", "sarif"];

export { toFinding, type Finding } from "../../config/diagnostic.js";

/** `gateway.yaml:42:7 error [rule] message`, the hint on the next line. */
export function formatText(diagnostics: readonly Diagnostic[], colour: boolean): string {
  const p = paint(colour);
  const sev = { error: p.red("error"), warning: p.yellow("warning"), info: p.blue("info") };
  return diagnostics
    .map((d) => {
      const head = `${d.file}:${d.line}:${d.column} ${sev[d.severity]} [${d.rule}] ${d.message}\n`;
      return d.hint === undefined ? head : head + p.dim(`  hint: ${d.hint}`) + "\n";
    })
    .join("");
}

export function formatJson(ok: boolean, diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify({ ok, findings: diagnostics.map(toFinding) }, null, 2) + "\n";
}

const escapeData = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`. */
export function formatGithub(diagnostics: readonly Diagnostic[]): string {
  const command = { error: "error", warning: "warning", info: "notice" } as const;
  return diagnostics
    .map((d) => {
      const props = `file=${escapeProperty(d.file)},line=${d.line},col=${d.column},title=${escapeProperty(d.rule)}`;
      const message = d.hint === undefined ? d.message : `${d.message}\n${d.hint}`;
      return `::${command[d.severity]} ${props}::${escapeData(message)}\n`;
    })
    .join("");
}

/** SARIF 2.1.0, one run, rule metadata for every rule that has findings. */
export function formatSarif(diagnostics: readonly Diagnostic[], toolVersion: string): string {
  const ruleIds = [...new Set(diagnostics.map((d) => d.rule))].sort();
  const level = { error: "error", warning: "warning", info: "note" } as const;
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "aigw",
            version: toolVersion,
            informationUri: "https://github.com/aigw/aigw",
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: ruleInfo(id)?.description ?? id },
            })),
          },
        },
        results: diagnostics.map((d) => ({
          ruleId: d.rule,
          ruleIndex: ruleIds.indexOf(d.rule),
          level: level[d.severity],
          message: { text: d.hint === undefined ? d.message : `${d.message} (${d.hint})` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.file },
                region: { startLine: d.line, startColumn: d.column },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
