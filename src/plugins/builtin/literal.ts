/**
 * The longest run of plain characters every match of a regular expression
 * must contain, or null when none of at least `min` characters can be
 * proven. A guard pattern such as `\bPOL-[0-9]{8}\b` cannot match a text
 * without `POL-`; checking that with `String#includes` (a fast substring
 * search) before running the regex makes twenty patterns over a 4 KB prompt
 * cost twenty substring searches, not twenty regex scans.
 *
 * Deliberately conservative: only the top level of the pattern is read (a
 * top-level `|` gives up), groups, classes and escapes other than escaped
 * punctuation end a run, and a character made optional by `?`, `*` or
 * `{0,…}` is dropped from it. Only ASCII letters, digits and a few
 * punctuation marks are taken, so a case-insensitive pattern's literal can
 * be looked for in the lower-cased text: without the `u` flag a regex folds
 * case by `toUpperCase` and never maps a non-ASCII character to an ASCII
 * one, so every case-insensitive match of an ASCII literal lower-cases to it.
 */
export function requiredLiteral(source: string, min = 3): string | null {
  let best = "";
  let run = "";
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = "";
  };
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    let literal: string | null = null;
    let width = 1;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) return null;
      width = escapeWidth(source, i);
      if (PUNCTUATION.has(next)) literal = next;
    } else if (c === "|") {
      return null;
    } else if (c === "(" || c === "[") {
      const close = skipGroup(source, i);
      if (close === -1) return null;
      end();
      i = close + 1;
      i = skipQuantifier(source, i).next;
      continue;
    } else if (PLAIN.test(c)) {
      literal = c;
    }
    const q = skipQuantifier(source, i + width);
    if (literal === null) {
      end();
    } else if (q.optional) {
      end();
    } else {
      run += literal;
      // `a+`, `a{2,}`: the character is there, but what follows need not be next to it.
      if (q.repeats) end();
    }
    i = q.next;
  }
  end();
  return best.length >= min ? best : null;
}

const PLAIN = /^[A-Za-z0-9 _#@:/=,;'"<>!%&~`-]$/;
const PUNCTUATION: ReadonlySet<string> = new Set([".", "-", "/", "#", "@", ":", "_", " ", "=", ",", ";", "'", '"', "<", ">", "!", "%", "&", "~", "`"]);

/**
 * How many characters the escape at `i` spans: `\xHH`, `\uHHHH`, `\u{…}`,
 * `\cX`, `\k<name>`, `\p{…}`, back-references and octal digits, else two.
 * (Spanning too much only ends a run early, which is safe.)
 */
function escapeWidth(source: string, i: number): number {
  const next = source[i + 1];
  const upTo = (close: string): number => {
    const at = source.indexOf(close, i + 2);
    return at === -1 ? source.length - i : at + 1 - i;
  };
  switch (next) {
    case "x":
      return 4;
    case "u":
      return source[i + 2] === "{" ? upTo("}") : 6;
    case "c":
      return 3;
    case "k":
      return upTo(">");
    case "p":
    case "P":
      return source[i + 2] === "{" ? upTo("}") : 2;
    default: {
      if (next !== undefined && next >= "0" && next <= "9") {
        let j = i + 2;
        while (j < source.length && source[j]! >= "0" && source[j]! <= "9") j++;
        return j - i;
      }
      return 2;
    }
  }
}

/** Index of the `)` or `]` that closes the group or class opening at `start`, or -1. */
function skipGroup(source: string, start: number): number {
  if (source[start] === "[") {
    for (let i = start + 1; i < source.length; i++) {
      if (source[i] === "\\") i++;
      else if (source[i] === "]" && i > start + 1) return i;
    }
    return -1;
  }
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      const close = skipGroup(source, i);
      if (close === -1) return -1;
      i = close;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/** The quantifier at `i`, if any: whether it allows zero, whether it allows more than one, and where it ends. */
function skipQuantifier(source: string, i: number): { optional: boolean; repeats: boolean; next: number } {
  const c = source[i];
  let optional = false;
  let repeats = false;
  let next = i;
  if (c === "?" || c === "*" || c === "+") {
    optional = c !== "+";
    repeats = c !== "?";
    next = i + 1;
  } else if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (m !== null) {
      optional = Number(m[1]) === 0;
      repeats = m[2] !== undefined ? m[3] === "" || Number(m[3]) > 1 : Number(m[1]) > 1;
      next = i + m[0].length;
    }
  }
  // A lazy or possessive-looking suffix (`+?`, `*?`) changes nothing here.
  if (next > i && source[next] === "?") next++;
  return { optional, repeats, next };
}
