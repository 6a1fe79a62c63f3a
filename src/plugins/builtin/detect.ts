import { compileGuardPattern } from "../../config/checks/plugins.js";
import { requiredLiteral } from "./literal.js";

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

/**
 * Reports each match in order to `take`, which answers true to go on after
 * it, false to stop, or null when the candidate failed its check (then the
 * scan goes on one character after its start).
 */
type Scanner = (text: string, take: (start: number, end: number) => boolean | null) => void;

interface Rule {
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

/** Where the match of a sticky regex at `at` ends, or null. */
function matchEnd(re: RegExp, text: string, at: number): number | null {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? null : m.index + m[0].length;
}

/** Every match of a global regex over the whole text: for regexes whose cost per start is bounded, or that start only where a run of their characters starts. */
function wholeText(source: string, flags = ""): () => Scanner {
  return () => {
    const re = new RegExp(source, "g" + flags);
    return (text, take) => {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const r = take(m.index, m.index + m[0].length);
        if (r === false) return;
        // A longer candidate that fails the check may hide a shorter one inside it: try again one character on.
        if (r === null) re.lastIndex = m.index + 1;
      }
    };
  };
}

/** Characters of a custom pattern's window; matches start in it. */
export const CUSTOM_WINDOW = 1024;
/** Characters after the window a custom pattern's match may reach: a match no longer than this is always found whole. */
export const CUSTOM_OVERLAP = 256;
/** Characters before the window a custom pattern's lookbehind (or `\b`) can see. */
export const LOOKBEHIND_CONTEXT = 32;

/**
 * Every match of a custom pattern, each execution over at most
 * CUSTOM_WINDOW + CUSTOM_OVERLAP + LOOKBEHIND_CONTEXT characters. A match
 * is taken from the window it starts in; the next window starts where the
 * last match ended (as a global scan resumes there) or where this window
 * ends. Matches of at most CUSTOM_OVERLAP characters are the regex's own
 * over the whole text; a longer one is found cut at its window's end.
 */
function windowed(source: string, flags: string): Scanner {
  const re = new RegExp(source, "g" + flags);
  return (text, take) => {
    const n = text.length;
    for (let s = 0; s < n; ) {
      const from = Math.max(0, s - LOOKBEHIND_CONTEXT);
      const to = Math.min(n, s + CUSTOM_WINDOW + CUSTOM_OVERLAP);
      const last = to === n;
      const slice = from === 0 && last ? text : text.slice(from, to);
      let next = s + CUSTOM_WINDOW;
      re.lastIndex = s - from;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        const start = from + m.index;
        if (start >= s + CUSTOM_WINDOW && !last) break;
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const end = start + m[0].length;
        const r = take(start, end);
        if (r === false) return;
        if (r === null) re.lastIndex = m.index + 1;
        else next = Math.max(next, end);
      }
      if (last) return;
      s = next;
    }
  };
}


/**
 * JWTs (`\beyJ…\.eyJ…\.…`). Tried only at the first `eyJ` of a run of
 * base64url characters: when that fails, every later `eyJ` of the run
 * fails too (its first part ends where the run does, and is shorter), so
 * the scan skips to the run's end. As one regex, `eyJa-eyJa-…` costs a
 * scan to the end of the run from each `eyJ`.
 */
function jwt(): Scanner {
  const head = /\beyJ/g;
  const whole = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/y;
  const run = /[A-Za-z0-9_-]*/y;
  return (text, take) => {
    head.lastIndex = 0;
    for (let h = head.exec(text); h !== null; h = head.exec(text)) {
      const at = h.index;
      const end = matchEnd(whole, text, at);
      if (end === null) {
        head.lastIndex = matchEnd(run, text, at)!;
        continue;
      }
      const r = take(at, end);
      if (r === false) return;
      head.lastIndex = r === null ? at + 1 : end;
    }
  };
}

const EMAIL_LOCAL = "[A-Za-z0-9._%+-]";
const EMAIL_DOMAIN = "@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}(?![A-Za-z0-9-])";

/**
 * E-mail addresses. A match is tried where a run of local-part characters
 * starts (the lookbehind), and where the previous match ended (as a global
 * scan resumes there: `a@b.com_c@d.com` holds two). Any other start inside
 * a run reaches the same `@` and the same domain, so when the first try in
 * a run fails the scan skips to the run's end; trying each start would
 * cost the run each time (quadratic).
 */
function email(): Scanner {
  const atRunStart = new RegExp(`(?<!${EMAIL_LOCAL})${EMAIL_LOCAL}+${EMAIL_DOMAIN}`, "g");
  const here = new RegExp(`${EMAIL_LOCAL}+${EMAIL_DOMAIN}`, "y");
  const run = new RegExp(`${EMAIL_LOCAL}*`, "y");
  return (text, take) => {
    atRunStart.lastIndex = 0;
    for (let m = atRunStart.exec(text); m !== null; m = atRunStart.exec(text)) {
      let at = m.index;
      let end = at + m[0].length;
      for (;;) {
        const r = take(at, end);
        if (r === false) return;
        if (r === null) {
          atRunStart.lastIndex = at + 1;
          break;
        }
        const next = matchEnd(here, text, end);
        if (next === null) {
          atRunStart.lastIndex = matchEnd(run, text, end)!;
          break;
        }
        at = end;
        end = next;
      }
    }
  };
}

interface Detector {
  kind: string;
  label: string;
  /** One scanner per rule: a detector may need several to stay linear. */
  scanners: (() => Scanner)[];
  hint?: (text: string) => boolean;
  verify?: (match: string) => boolean;
}

export const DETECTORS: Readonly<Record<string, Detector>> = {
  email: {
    kind: "an e-mail address",
    label: "[EMAIL]",
    scanners: [email],
    hint: (t) => t.includes("@"),
  },
  phone: {
    kind: "a phone number",
    label: "[PHONE]",
    // International (+ and a country code) or North-American (555-123-4567, (555) 123-4567) forms;
    // bare digit runs (dates, amounts, ids) are not taken for phone numbers. Each group of an
    // international number takes all the digits it can and keeps them (`(?=(\d{1,4}))\1` is an
    // atomic group): retrying every split of a long digit run costs thousands of steps per `+`.
    scanners: [wholeText(/(?<![\w+])(?:\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?(?=(\d{1,4}))\1){1,5}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])/.source)],
    hint: (t) => hasDigitRun.test(t),
    verify: (m) => {
      const n = digits(m).length;
      return n >= 7 && n <= 15;
    },
  },
  card: {
    kind: "a card number",
    label: "[CARD]",
    scanners: [wholeText(/(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/.source)],
    hint: (t) => hasDigitRun.test(t),
    verify: luhn,
  },
  apiKey: {
    kind: "an API key",
    label: "[API_KEY]",
    // Each unbounded run either ends the match (it succeeds once it has its minimum) or is
    // bounded; JWTs, whose first part must be followed by a dot, have their own scanner.
    scanners: [
      wholeText(
        [
          /\bsk-ant-[A-Za-z0-9_-]{16,}/,
          /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
          /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
          /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/,
          /\bAIza[0-9A-Za-z_-]{35}/,
          /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
          /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/,
        ]
          .map((r) => r.source)
          .join("|"),
      ),
      jwt,
    ],
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
function insensitiveLiterals(rules: readonly Rule[]): RegExp | null {
  const literals = [...new Set(rules.filter((r) => r.insensitive === true && r.literal !== undefined).map((r) => r.literal!))];
  if (literals.length < 2) return null;
  return new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "i");
}

export function compileMatcher(config: { detectors?: readonly string[]; patterns?: readonly string[]; replacement?: string }): Matcher {
  const rules: Rule[] = [];
  for (const d of config.detectors ?? []) {
    const det = DETECTORS[d];
    if (det === undefined) continue;
    for (const scanner of det.scanners) rules.push({ scan: scanner(), kind: det.kind, label: config.replacement ?? det.label, hint: det.hint, verify: det.verify });
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
