import { compileGuardPattern } from "../../config/checks/plugins.js";
import { requiredLiteral } from "./literal.js";

/**
 * What prompt-guard and response-guard look for: built-in detectors and
 * the config's own regular expressions, each compiled once per loaded
 * config. A custom pattern with a required literal (`POL-` in
 * `\bPOL-[0-9]{8}\b`) runs only when the text contains it (a substring
 * search, see literal.ts); the others, per case mode, are joined into one
 * alternation, so they cost one pass over the text, not one each.
 */
export interface Match {
  start: number;
  end: number;
  /** What matched, in words (`an e-mail address`), for messages that must not repeat the text. */
  kind: string;
  replacement: string;
}

export interface Matcher {
  /** Every match, in order, without overlaps (the earlier, then the longer, wins). */
  find(text: string): Match[];
  /** The kind of the first thing found, or null. */
  detect(text: string): string | null;
}

interface Rule {
  re: RegExp;
  kind: string;
  label: string;
  /** Cheap test that must pass before the regex runs. */
  hint?: (text: string) => boolean;
  /** Text every match contains (lower case when `insensitive`): the regex runs only when the text has it. */
  literal?: string;
  insensitive?: boolean;
  verify?: (match: string) => boolean;
}

function digits(text: string): string {
  return text.replace(/\D/g, "");
}

/** Luhn checksum over the digits of a card-number candidate (13-19 digits). */
export function luhn(text: string): boolean {
  const d = digits(text);
  if (d.length < 13 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

const hasDigitRun = /\d\d/;

export const DETECTORS: Readonly<Record<string, Omit<Rule, "label"> & { label: string }>> = {
  email: {
    kind: "an e-mail address",
    label: "[EMAIL]",
    re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    hint: (t) => t.includes("@"),
  },
  phone: {
    kind: "a phone number",
    label: "[PHONE]",
    // International (+ and a country code) or North-American (555-123-4567, (555) 123-4567) forms;
    // bare digit runs (dates, amounts, ids) are not taken for phone numbers.
    re: /(?<![\w+])(?:\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,4}){2,5}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])/g,
    hint: (t) => hasDigitRun.test(t),
    verify: (m) => {
      const n = digits(m).length;
      return n >= 7 && n <= 15;
    },
  },
  card: {
    kind: "a card number",
    label: "[CARD]",
    re: /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g,
    hint: (t) => hasDigitRun.test(t),
    verify: luhn,
  },
  apiKey: {
    kind: "an API key",
    label: "[API_KEY]",
    re: new RegExp(
      [
        /\bsk-ant-[A-Za-z0-9_-]{16,}/,
        /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
        /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
        /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/,
        /\bAIza[0-9A-Za-z_-]{35}/,
        /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
        /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
        /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/,
      ]
        .map((r) => r.source)
        .join("|"),
      "g",
    ),
  },
};

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
      out.push({ re: new RegExp(source, "g" + flags), kind: "a blocked pattern", label, literal: flags === "i" ? literal.toLowerCase() : literal, insensitive: flags === "i" });
      continue;
    }
    groups.set(flags, [...(groups.get(flags) ?? []), source]);
  }
  for (const [flags, sources] of groups) {
    // Back-references and named groups do not survive being joined.
    const joinable = sources.length > 1 && !sources.some((s) => /\\[1-9]|\\k<|\(\?</.test(s.replace(/\(\?<[=!]/g, "")));
    const list = joinable ? [sources.map((s) => `(?:${s})`).join("|")] : sources;
    for (const source of list) out.push({ re: new RegExp(source, "g" + flags), kind: "a blocked pattern", label });
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
function insensitiveLiterals(rules: readonly Rule[]): RegExp | null {
  const literals = [...new Set(rules.filter((r) => r.insensitive === true && r.literal !== undefined).map((r) => r.literal!))];
  if (literals.length < 2) return null;
  return new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "i");
}

export function compileMatcher(config: { detectors?: readonly string[]; patterns?: readonly string[]; replacement?: string }): Matcher {
  const rules: Rule[] = [];
  for (const d of config.detectors ?? []) {
    const det = DETECTORS[d];
    if (det !== undefined) rules.push({ ...det, re: new RegExp(det.re.source, det.re.flags), label: config.replacement ?? det.label });
  }
  rules.push(...customRules(config.patterns ?? [], config.replacement ?? "[REDACTED]"));

  /**
   * The text one scan looks at; whether it holds any case-insensitive
   * literal at all, and its lower-case form, each found once and only if a
   * rule needs it.
   */
  interface Subject {
    readonly text: string;
    anyInsensitive?: boolean;
    lower?: string;
  }
  const anyInsensitive = insensitiveLiterals(rules);
  const has = (rule: Rule, subject: Subject): boolean => {
    if (rule.literal === undefined) return true;
    if (rule.insensitive !== true) return subject.text.includes(rule.literal);
    if (anyInsensitive !== null && !(subject.anyInsensitive ??= anyInsensitive.test(subject.text))) return false;
    subject.lower ??= subject.text.toLowerCase();
    return subject.lower.includes(rule.literal);
  };
  const each = (rule: Rule, subject: Subject, onMatch: (start: number, end: number) => boolean): void => {
    const text = subject.text;
    if (rule.hint !== undefined && !rule.hint(text)) return;
    if (!has(rule, subject)) return;
    const re = rule.re;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (rule.verify !== undefined && !rule.verify(m[0])) {
        // A longer candidate that fails the check may hide a shorter one inside it: try again one character on.
        re.lastIndex = m.index + 1;
        continue;
      }
      if (!onMatch(m.index, m.index + m[0].length)) return;
    }
  };

  return {
    find(text) {
      const found: Match[] = [];
      const subject: Subject = { text };
      for (const rule of rules) {
        each(rule, subject, (start, end) => {
          found.push({ start, end, kind: rule.kind, replacement: rule.label });
          return true;
        });
      }
      if (found.length <= 1) return found;
      found.sort((a, b) => a.start - b.start || b.end - a.end);
      const out: Match[] = [];
      for (const m of found) if (out.length === 0 || m.start >= out[out.length - 1]!.end) out.push(m);
      return out;
    },
    detect(text) {
      const subject: Subject = { text };
      for (const rule of rules) {
        let hit = false;
        each(rule, subject, () => {
          hit = true;
          return false;
        });
        if (hit) return rule.kind;
      }
      return null;
    },
  };
}

/** `text` with each match replaced. */
export function redact(text: string, matches: readonly Match[]): string {
  if (matches.length === 0) return text;
  let out = "";
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.start) + m.replacement;
    at = m.end;
  }
  return out + text.slice(at);
}
