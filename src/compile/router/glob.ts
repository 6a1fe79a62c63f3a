/** Globs over model names and header values: `*` any run of characters, `?` one character. */

export interface Glob {
  readonly pattern: string;
  /** The characters before the first wildcard, used to rank overlapping globs. */
  readonly literalPrefix: string;
  test(value: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  const wildcard = pattern.search(/[*?]/);
  const literalPrefix = wildcard === -1 ? pattern : pattern.slice(0, wildcard);
  if (wildcard === -1) return { pattern, literalPrefix, test: (v) => v === pattern };
  if (pattern === "*") return { pattern, literalPrefix, test: () => true };
  if (wildcard === pattern.length - 1 && pattern.endsWith("*")) {
    return { pattern, literalPrefix, test: (v) => v.startsWith(literalPrefix) };
  }
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  const re = new RegExp(`^${source}$`, "s");
  return { pattern, literalPrefix, test: (v) => re.test(v) };
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
