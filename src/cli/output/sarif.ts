import type { Diagnostic, Severity } from "../../config/diagnostic.js";
import { ruleInfo } from "../../config/rules.js";

/** What SARIF says about a rule (`tool.driver.rules[]`). */
export interface SarifRule {
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule catches. */
  readonly description: string;
  /** One line: how to fix it. */
  readonly hint?: string;
}

const LEVEL = { error: "error", warning: "warning", info: "note" } as const;

/** `route.fallback.pricier` → `RouteFallbackPricier` (SARIF's human-readable rule name). */
function ruleName(id: string): string {
  return id
    .split(/[.-]/)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/**
 * A SARIF 2.1.0 log with one run: metadata for every rule of `catalogue`
 * (and for any other rule a finding names, from validate's list), results
 * with their rule, level and region. Pure: diagnostics in, text out.
 */
export function formatSarifLog(diagnostics: readonly Diagnostic[], toolVersion: string, catalogue: readonly SarifRule[]): string {
  const rules: SarifRule[] = [...catalogue];
  const known = new Set(rules.map((r) => r.id));
  for (const d of diagnostics) {
    if (known.has(d.rule)) continue;
    known.add(d.rule);
    rules.push({ id: d.rule, severity: d.severity, description: ruleInfo(d.rule)?.description ?? d.rule });
  }
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const log = {
    $schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "aigw",
            version: toolVersion,
            semanticVersion: toolVersion,
            informationUri: "https://github.com/aigw/aigw",
            rules: rules.map((r) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: r.description },
              fullDescription: { text: r.hint === undefined ? r.description : `${r.description} Fix: ${r.hint}` },
              ...(r.hint === undefined ? {} : { help: { text: r.hint } }),
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        results: diagnostics.map((d) => {
          const ruleHint = rules[index.get(d.rule)!]!.hint;
          const extra = d.hint !== undefined && d.hint !== ruleHint ? ` (${d.hint})` : "";
          return {
            ruleId: d.rule,
            ruleIndex: index.get(d.rule)!,
            level: LEVEL[d.severity],
            message: { text: d.message + extra },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: encodeURI(d.file.split("\\").join("/")) },
                  region: { startLine: d.line, startColumn: d.column },
                },
              },
            ],
          };
        }),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
