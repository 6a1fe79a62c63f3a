import { compileRules, insensitiveLiterals, type Rule } from "./detect/rules.js";

export { CUSTOM_OVERLAP, CUSTOM_WINDOW, LOOKBEHIND_CONTEXT } from "./detect/scan.js";
export { DETECTORS, luhn } from "./detect/detectors.js";

/**
 * What prompt-guard and response-guard look for: built-in detectors and
 * the config's own regular expressions, each compiled once per loaded
 * config. A custom pattern with a required literal (`POL-` in
 * `\bPOL-[0-9]{8}\b`) runs only when the text contains it (a substring
 * search, see literal.ts); the others, per case mode, are joined into one
 * alternation, so they cost one pass over the text, not one each.
 *
 * The text is the client's (or the model's), so every scan costs time
 * linear in its length. The built-in detectors are written for that: no
 * quantifier over a class that the next one overlaps can be retried from
 * many starts (a match starts only where a run of its characters starts,
 * or each start does bounded work). Custom patterns are reviewed config but
 * of unknown cost, so no execution of one sees more than a bounded window
 * of the text (CUSTOM_WINDOW characters, plus CUSTOM_OVERLAP after and
 * LOOKBEHIND_CONTEXT before): a pattern quadratic in its input then costs
 * time linear in the text. Every window is scanned, so a long text is not
 * a way past a guard.
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

export function compileMatcher(config: { detectors?: readonly string[]; patterns?: readonly string[]; replacement?: string }): Matcher {
  const rules = compileRules(config);

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
    const verify = rule.verify;
    rule.scan(text, verify === undefined ? onMatch : (start, end) => (verify(text.slice(start, end)) ? onMatch(start, end) : null));
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
