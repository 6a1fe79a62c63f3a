import { compileGuardPattern } from "../../../config/checks/plugins.js";
import { requiredLiteral } from "../literal.js";
import { DETECTORS } from "./detectors.js";
import { windowed, type Scanner } from "./scan.js";

/** One compiled thing to look for: a built-in detector's scanner or a custom pattern. */
export interface Rule {
  scan: Scanner;
  kind: string;
  label: string;
  /** Cheap test that must pass before the regex runs. */
  hint?: (text: string) => boolean;
  /** Text every match contains (lower case when `insensitive`): the regex runs only when the text has it. */
  literal?: string;
  insensitive?: boolean;
  verify?: (match: string) => boolean;
}

/** The rules of a guard's config: its built-in detectors in order, then its custom patterns. */
export function compileRules(config: { detectors?: readonly string[]; patterns?: readonly string[]; replacement?: string }): Rule[] {
  const rules: Rule[] = [];
  for (const d of config.detectors ?? []) {
    const det = DETECTORS[d];
    if (det === undefined) continue;
    for (const scanner of det.scanners) rules.push({ scan: scanner(), kind: det.kind, label: config.replacement ?? det.label, hint: det.hint, verify: det.verify });
  }
  rules.push(...customRules(config.patterns ?? [], config.replacement ?? "[REDACTED]"));
  return rules;
}

/**
 * The custom patterns: one regex each for those with a required literal,
 * the rest as few regexes as possible (one alternation per case mode, or
 * separately when they cannot be joined).
 */
function customRules(patterns: readonly string[], label: string): Rule[] {
  const out: Rule[] = [];
  const groups = new Map<string, string[]>();
  for (const p of patterns) {
    const flags = p.startsWith("(?i)") ? "i" : "";
    const source = compileGuardPattern(p).source;
    const literal = requiredLiteral(source);
    if (literal !== null) {
      out.push({ scan: windowed(source, flags), kind: "a blocked pattern", label, literal: flags === "i" ? literal.toLowerCase() : literal, insensitive: flags === "i" });
      continue;
    }
    groups.set(flags, [...(groups.get(flags) ?? []), source]);
  }
  for (const [flags, sources] of groups) {
    // Back-references and named groups do not survive being joined.
    const joinable = sources.length > 1 && !sources.some((s) => /\\[1-9]|\\k<|\(\?</.test(s.replace(/\(\?<[=!]/g, "")));
    const list = joinable ? [sources.map((s) => `(?:${s})`).join("|")] : sources;
    for (const source of list) out.push({ scan: windowed(source, flags), kind: "a blocked pattern", label });
  }
  return out;
}

/**
 * One case-insensitive regex for the required literals of the
 * case-insensitive rules, tested once per text before any of them: when it
 * finds none (most texts), no rule needs its own search. A substring search
 * per literal is cheap for `POL-` but not for `password` or `secret` in
 * lower-cased prose (common first letters: measured 16 µs for nine such
 * literals over 4 KB, 6 µs as one regex). The regex folds case as the
 * rules' own `i` flag does, so it finds every literal a rule's match holds.
 */
export function insensitiveLiterals(rules: readonly Rule[]): RegExp | null {
  const literals = [...new Set(rules.filter((r) => r.insensitive === true && r.literal !== undefined).map((r) => r.literal!))];
  if (literals.length < 2) return null;
  return new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "i");
}
