import { usageOf, type Usage } from "./extract.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** How far back from the end the walk reads (the usage member and those after it); an answer that needs more is parsed whole. */
const MAX_USAGE_CHARS = 16 * 1024;

/** JSON's insignificant whitespace (RFC 8259): space, tab, line feed, carriage return. */
export const isJsonBlank = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function lastNonBlank(text: string, i: number): number {
  while (i >= 0 && isJsonBlank(text.charCodeAt(i))) i--;
  return i;
}

/**
 * Whether the quote at `q` ends a string (no odd run of backslashes
 * escapes it). A run that reaches back past `limit` counts as escaping
 * it: the caller then finds no string start in its window and gives up.
 */
function unescaped(text: string, q: number, limit: number): boolean {
  let k = q - 1;
  while (k >= limit && text.charCodeAt(k) === BACKSLASH) k--;
  if (k < limit && k >= 0 && text.charCodeAt(k) === BACKSLASH) return false;
  return (q - 1 - k) % 2 === 0;
}

/**
 * The opening quote of the string whose closing quote is at `q`, or -1
 * when it is not at `limit` or after (the walk never reads further back
 * than its window, however many escaped quotes a long string holds).
 */
function stringStart(text: string, q: number, limit: number): number {
  let from = q - 1;
  for (;;) {
    const p = from < limit ? -1 : text.lastIndexOf('"', from);
    if (p < limit) return -1;
    if (unescaped(text, p, limit)) return p;
    from = p - 1;
  }
}

/** Members walked back from the end before giving up (OpenAI's answers end with two after `usage`). */
const MAX_MEMBERS = 16;

/** The index where the value that ends at `end` starts (its strings skipped whole, its brackets counted), or -1. */
function valueStart(text: string, end: number, limit: number): number {
  const c = text.charCodeAt(end);
  if (c === QUOTE) return unescaped(text, end, limit) ? stringStart(text, end, limit) : -1;
  if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
    let depth = 0;
    let j = end;
    for (;;) {
      if (j < limit) return -1;
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = stringStart(text, j, limit) - 1;
        continue;
      }
      if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) depth++;
      else if ((d === OPEN_OBJECT || d === OPEN_ARRAY) && --depth === 0) return j;
      j--;
    }
  }
  // A number or a literal: back to the blank or colon before it.
  let j = end;
  for (;;) {
    if (j < limit) return -1;
    const d = text.charCodeAt(j);
    if (d === COLON || isJsonBlank(d)) break;
    if (d === QUOTE || d === COMMA || d === OPEN_OBJECT || d === OPEN_ARRAY || d === CLOSE_OBJECT || d === CLOSE_ARRAY) return -1;
    j--;
  }
  return j < end ? j + 1 : -1;
}

/**
 * The usage of a whole JSON answer read from its end, without decoding
 * the rest: OpenAI-shaped answers (OpenAI, Ollama, vLLM, the mock) close
 * with `"usage":{...}` and at most a few short members after it. From the
 * closing brace of the top-level object it walks back member by member
 * (strings skipped whole, brackets counted) to the `usage` key and parses
 * only its object. Walking back, the first `usage` met is the last one in
 * the text, the one a repeated key resolves to, so for a valid JSON object
 * the result is `usageOf(JSON.parse(text))`. Null when the answer does not
 * end that way (the caller parses it whole). What lies before the member is
 * not read, so an answer that is not valid JSON there is still metered by
 * the usage it reports.
 */
export function tailUsage(text: string): Partial<Usage> | null {
  if (text.charCodeAt(firstNonBlank(text)) !== OPEN_OBJECT) return null;
  let close = lastNonBlank(text, text.length - 1);
  if (close < 0 || text.charCodeAt(close) !== CLOSE_OBJECT) return null;
  const limit = Math.max(0, close - MAX_USAGE_CHARS);
  for (let m = 0; m < MAX_MEMBERS; m++) {
    const end = lastNonBlank(text, close - 1);
    if (end < limit) return null;
    const start = valueStart(text, end, limit);
    if (start < limit) return null;
    const colon = lastNonBlank(text, start - 1);
    if (colon < 0 || text.charCodeAt(colon) !== COLON) return null;
    const keyEnd = lastNonBlank(text, colon - 1);
    if (keyEnd < 0 || text.charCodeAt(keyEnd) !== QUOTE || !unescaped(text, keyEnd, limit)) return null;
    const keyStart = stringStart(text, keyEnd, limit);
    if (keyStart < 0) return null;
    const before = lastNonBlank(text, keyStart - 1);
    const sep = before < 0 ? -1 : text.charCodeAt(before);
    if (sep !== COMMA && sep !== OPEN_OBJECT) return null;
    if (keyIs(text, keyStart, keyEnd + 1, "usage")) {
      if (text.charCodeAt(start) !== OPEN_OBJECT) return null;
      let usage: unknown;
      try {
        usage = JSON.parse(text.slice(start, end + 1));
      } catch {
        return null;
      }
      return usageOf({ usage });
    }
    if (sep === OPEN_OBJECT) return null;
    close = before;
  }
  return null;
}

function firstNonBlank(text: string): number {
  let i = 0;
  while (i < text.length && isJsonBlank(text.charCodeAt(i))) i++;
  return i;
}

/** Whether the key between `start` and `end` (quotes included) is `name` once decoded. */
function keyIs(text: string, start: number, end: number, name: string): boolean {
  const length = end - start - 2;
  // An escape only makes the written key longer than the one it spells.
  if (length === name.length) return text.startsWith(name, start + 1);
  if (length < name.length || length > name.length * 6) return false;
  try {
    return JSON.parse(text.slice(start, end)) === name;
  } catch {
    return false;
  }
}
