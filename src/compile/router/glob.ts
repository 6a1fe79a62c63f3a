/** Globs over model names and header values: `*` any run of characters, `?` one character. */

export interface Glob {
  readonly pattern: string;
  /** The characters before the first wildcard, used to rank overlapping globs. */
  readonly literalPrefix: string;
  test(value: string): boolean;
}

/** Counts the steps of `matchGlob`, for tests that bound its work. */
export interface GlobMeter {
  steps: number;
}

const STAR = 42; // "*"
const ONE = 63; // "?"

/**
 * Whether `value` matches the glob `pattern`, over UTF-16 code units as a
 * regex without the `u` flag reads them. Values are client input (model
 * names, header values, origins): a backtracking regex of several `*` is
 * polynomial of the degree of its stars, so this is the greedy two-pointer
 * matcher, which keeps one backtrack point (the last `*`) and takes at most
 * (n+1)(m+1)+m steps for a value of n and a pattern of m characters.
 */
export function matchGlob(pattern: string, value: string, meter?: GlobMeter): boolean {
  const m = pattern.length;
  const n = value.length;
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  let steps = 0;
  while (v < n) {
    steps++;
    const c = p < m ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = p++;
      resume = v;
    } else if (c !== -1 && (c === ONE || c === value.charCodeAt(v))) {
      p++;
      v++;
    } else if (star !== -1) {
      // The last `*` takes one more character; what follows it is tried again from there.
      p = star + 1;
      v = ++resume;
    } else {
      if (meter !== undefined) meter.steps += steps;
      return false;
    }
  }
  while (p < m && pattern.charCodeAt(p) === STAR) {
    steps++;
    p++;
  }
  if (meter !== undefined) meter.steps += steps;
  return p === m;
}

export function compileGlob(pattern: string): Glob {
  const wildcard = pattern.search(/[*?]/);
  const literalPrefix = wildcard === -1 ? pattern : pattern.slice(0, wildcard);
  if (wildcard === -1) return { pattern, literalPrefix, test: (v) => v === pattern };
  if (pattern === "*") return { pattern, literalPrefix, test: () => true };
  if (wildcard === pattern.length - 1 && pattern.endsWith("*")) {
    return { pattern, literalPrefix, test: (v) => v.startsWith(literalPrefix) };
  }
  return { pattern, literalPrefix, test: (v) => v.startsWith(literalPrefix) && matchGlob(pattern, v) };
}

/** Any of several globs. */
export function compileGlobs(patterns: readonly string[]): Glob {
  const globs = patterns.map(compileGlob);
  if (globs.length === 1) return globs[0]!;
  return {
    pattern: patterns.join(", "),
    literalPrefix: "",
    test: (v) => globs.some((g) => g.test(v)),
  };
}
