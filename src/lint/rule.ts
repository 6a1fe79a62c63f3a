import type { Snapshot } from "../compile/snapshot.js";
import type { Diagnostic, Severity } from "../config/diagnostic.js";
import type { Path } from "../config/pointer.js";
import type { SourceDocument } from "../config/source.js";
import type { GatewayConfig } from "../config/types.js";
import type { Budget } from "./glob-lang.js";

/** What a rule sees: the compiled config, the file as written, and a way to report. */
export interface RuleContext {
  /** Validated, defaults filled, frozen. Secrets included: never print its values. */
  readonly config: GatewayConfig;
  readonly snapshot: Snapshot;
  /** The file with positions; its scalars hold what the user wrote (`${VAR}` not replaced). */
  readonly source: SourceDocument;
  /** validate's findings for the file (warnings only: lint runs on valid configs). */
  readonly validateFindings: readonly Diagnostic[];
  /** Every lint rule id (for rules about the `lint` section itself). */
  readonly ruleIds: readonly string[];
  /** Whether the user wrote a value at `path` (as opposed to a default the schema filled in). */
  wrote(path: Path): boolean;
  /** A fresh step budget for an exact set comparison. */
  budget(): Budget;
  /** Reports a finding of this rule at `path` (the value's position, or its key's with `key: true`). */
  report(path: Path, message: string, options?: { hint?: string; key?: boolean }): void;
}

/** One lint rule: a stable id, a default severity, a doc line, a fix hint and a check. */
export interface LintRule {
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule catches. */
  readonly description: string;
  /** One line: how to fix what it catches (findings may carry a more specific one). */
  readonly hint: string;
  check(ctx: RuleContext): void;
}
