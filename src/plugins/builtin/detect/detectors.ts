import { matchEnd, wholeText, type Scanner } from "./scan.js";

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

export interface Detector {
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
