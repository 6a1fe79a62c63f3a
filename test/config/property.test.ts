import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildSnapshot } from "../../src/compile/build.js";
import { compileGlob } from "../../src/compile/router/glob.js";
import { normalizePath } from "../../src/compile/router/path.js";
import { formatDuration, parseDuration } from "../../src/config/duration.js";
import { interpolate, type Env } from "../../src/config/interpolate.js";
import { parseSource } from "../../src/config/load.js";
import { runPipeline, type PipelineOptions } from "../../src/config/run-stages.js";

const root = resolve(import.meta.dirname, "../..");
const rootConfig = readFileSync(resolve(root, "gateway.yaml"), "utf8");
const explainConfig = readFileSync(resolve(root, "test/fixtures/explain/gateway.yaml"), "utf8");

const validateOptions: PipelineOptions = { mode: "validate", env: {}, fileExists: () => true };
const serveOptions: PipelineOptions = { mode: "serve", env: { OPENAI_API_KEY: "sk-test" }, fileExists: () => false };

// ---------------------------------------------------------------------------
// The whole pipeline never throws, and every finding points into the text.
// ---------------------------------------------------------------------------

/** Checks a pipeline result's shape and that each diagnostic has a rule, a severity and a position in `text`. */
function checkResult(text: string, result: unknown): void {
  expect(result).toBeTypeOf("object");
  expect(result).not.toBeNull();
  const diagnostics = (result as { diagnostics: unknown }).diagnostics;
  expect(Array.isArray(diagnostics)).toBe(true);
  const lines = text.split("\n");
  for (const d of diagnostics as Record<string, unknown>[]) {
    expect(typeof d.rule).toBe("string");
    expect((d.rule as string).length).toBeGreaterThan(0);
    expect(["error", "warning", "info"]).toContain(d.severity);
    expect(typeof d.message).toBe("string");
    const line = d.line as number;
    const column = d.column as number;
    expect(Number.isInteger(line)).toBe(true);
    expect(Number.isInteger(column)).toBe(true);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lines.length + 1);
    expect(column).toBeGreaterThanOrEqual(1);
    // A column may point one past the end of its line (at the line break or end of text).
    const lineText = lines[line - 1] ?? "";
    expect(column).toBeLessThanOrEqual(lineText.length + 1);
  }
}

/**
 * Runs one entry point on a text: validate mode through compile (`buildSnapshot`), or
 * serve mode through the pipeline (`runPipeline`). Neither may throw.
 */
function runAll(text: string, serve = false): void {
  if (serve) checkResult(text, runPipeline(text, "gateway.yaml", serveOptions));
  else checkResult(text, buildSnapshot(text, "gateway.yaml", validateOptions));
}

/** Characters and tokens that make YAML-ish noise. */
const yamlToken = fc.constantFrom(
  "a", "b", "1", " ", "  ", "\n", "\r\n", "\t", ":", ": ", "-", "- ", "?", "#", ",", "[", "]", "{", "}",
  "'", '"', "|", ">", "&a", "*a", "!", "!!str", "%YAML 1.2", "---", "...", "<<", "${X}", "${", "}", "$",
  "version", "routes", "name", "match", "path", "upstream", "upstreams", "type", "mock", "/v1", "\\", "\u0000", "é", "😀",
);
const yamlish = fc.array(yamlToken, { maxLength: 60 }).map((t) => t.join(""));

/** Loosely config-shaped objects, so that runs reach the schema and semantic stages. */
const nameArb = fc.constantFrom("a", "b", "mock", "openai", "keys", "global", "team-a", "", "x y", "${N}");
const configish = fc.record(
  {
    version: fc.constantFrom(1, 2, "1", null),
    server: fc.record({ listen: fc.constantFrom("0.0.0.0:8080", ":80", "nope", 8080), admin: fc.constantFrom("127.0.0.1:9090", "0.0.0.0:9090") }, { requiredKeys: [] }),
    auth: fc.array(
      fc.record(
        {
          name: nameArb,
          type: fc.constantFrom("apiKey", "jwt", "oidc", "basic"),
          keys: fc.array(fc.record({ id: nameArb, consumer: nameArb, sha256: fc.constantFrom("abc", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), value: nameArb }, { requiredKeys: [] }), { maxLength: 3 }),
          algorithms: fc.array(fc.constantFrom("RS256", "HS256", "none"), { maxLength: 2 }),
          secret: fc.constantFrom("short", "${JWT_SECRET}"),
          issuer: fc.constantFrom("https://auth.example.com/", "not a url"),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    consumers: fc.array(fc.record({ name: nameArb, scopes: fc.array(nameArb, { maxLength: 2 }), models: fc.array(fc.constantFrom("gpt-*", "*", ""), { maxLength: 2 }), rateLimits: fc.array(nameArb, { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 3 }),
    rateLimits: fc.array(
      fc.record(
        {
          name: nameArb,
          limit: fc.oneof(fc.integer({ min: -2, max: 10 }), fc.constant("10")),
          window: fc.constantFrom("1m", "0s", "1x", "", 5, "1h30m"),
          key: fc.constantFrom("consumer", "ip", "header:x-a", "claim:sub", "bogus"),
          algorithm: fc.constantFrom("token_bucket", "leaky_bucket", "x"),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    gateway: fc.record({ rateLimits: fc.array(nameArb, { maxLength: 2 }) }, { requiredKeys: [] }),
    upstreams: fc.array(
      fc.record(
        {
          name: nameArb,
          type: fc.constantFrom("openai", "anthropic", "mock", "http", "ftp"),
          targets: fc.array(fc.record({ url: fc.constantFrom("https://api.openai.com", "ftp://x", "${URL}", ""), weight: fc.integer({ min: -1, max: 3 }) }, { requiredKeys: ["url"] }), { maxLength: 2 }),
          models: fc.array(nameArb, { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    routes: fc.array(
      fc.record(
        {
          name: nameArb,
          match: fc.record(
            {
              path: fc.constantFrom("/v1/chat/completions", "/", "/a/../b", "nope", "/a%2Fb"),
              pathPrefix: fc.constantFrom("/v1", "/", "/v1/", "/a/./b"),
              methods: fc.array(fc.constantFrom("GET", "POST", "get", "BREW"), { maxLength: 2 }),
              host: fc.constantFrom("*.example.com", "api.*", "*", "bad host"),
              headers: fc.dictionary(fc.constantFrom("x-a", "X-B"), fc.constantFrom("*", "v?", "")),
              model: fc.oneof(fc.constantFrom("gpt-*", ""), fc.array(fc.constantFrom("gpt-*", "claude-?"), { maxLength: 2 })),
            },
            { requiredKeys: [] },
          ),
          upstream: nameArb,
          split: fc.array(fc.record({ upstream: nameArb, weight: fc.integer({ min: -1, max: 3 }) }), { maxLength: 2 }),
          fallback: fc.array(nameArb, { maxLength: 2 }),
          auth: fc.array(nameArb, { maxLength: 2 }),
          scopes: fc.array(nameArb, { maxLength: 2 }),
          rateLimits: fc.array(nameArb, { maxLength: 2 }),
          cache: fc.record({ ttl: fc.constantFrom("5m", "0s", "x"), force: fc.boolean() }, { requiredKeys: [] }),
          rewrite: fc.record({ stripPrefix: fc.constantFrom("/v1", "/x", "v1") }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

type Mutation =
  | { kind: "delete"; i: number }
  | { kind: "duplicate"; i: number }
  | { kind: "swap"; i: number; j: number }
  | { kind: "char"; at: number; ch: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "indent"; i: number; delta: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), i: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), i: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant("char" as const), at: fc.nat(), ch: fc.constantFrom(" ", ":", "-", "{", "}", "[", "]", "'", '"', "#", "a", "0", "\t", "\n", "*", "&", "$", "\\") }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.constantFrom("${X}", "${", ": :", "${X:-1}", "$${Y}", "${1BAD}", "}", "{", "[", "- ", "&anchor ", "*anchor", "<<: *anchor", "\n  ", "\n- x", "!!binary ", "? "),
  }),
  fc.record({ kind: fc.constant("indent" as const), i: fc.nat(), delta: fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0) }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let lines = text.split("\n");
  for (const m of mutations) {
    const n = lines.length;
    switch (m.kind) {
      case "delete":
        lines.splice(m.i % n, 1);
        break;
      case "duplicate":
        lines.splice(m.i % n, 0, lines[m.i % n]!);
        break;
      case "swap": {
        const a = m.i % n;
        const b = m.j % n;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        break;
      }
      case "char": {
        const joined = lines.join("\n");
        const at = m.at % Math.max(joined.length, 1);
        lines = (joined.slice(0, at) + m.ch + joined.slice(at + 1)).split("\n");
        break;
      }
      case "insert": {
        const joined = lines.join("\n");
        const at = m.at % (joined.length + 1);
        lines = (joined.slice(0, at) + m.text + joined.slice(at)).split("\n");
        break;
      }
      case "indent": {
        const i = m.i % n;
        const line = lines[i]!;
        lines[i] = m.delta > 0 ? " ".repeat(m.delta) + line : line.replace(new RegExp(`^ {0,${-m.delta}}`), "");
        break;
      }
    }
    if (lines.length === 0) lines = [""];
  }
  return lines.join("\n");
}

describe("the pipeline never throws", () => {
  it("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.boolean(), (text, serve) => runAll(text, serve)),
      { numRuns: 200 },
    );
  });

  it("on YAML-ish token soup", () => {
    fc.assert(
      fc.property(yamlish, fc.boolean(), (text, serve) => runAll(text, serve)),
      { numRuns: 300 },
    );
  });

  it("on arbitrary JSON values dumped as YAML", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, serve) => runAll(stringify(value), serve)),
      { numRuns: 200 },
    );
  });

  it("on config-shaped objects dumped as YAML", () => {
    fc.assert(
      fc.property(configish, fc.boolean(), (value, serve) => runAll(stringify(value), serve)),
      { numRuns: 150 },
    );
  });

  for (const [label, text] of [
    ["gateway.yaml", rootConfig],
    ["test/fixtures/explain/gateway.yaml", explainConfig],
  ] as const) {
    it(`starts from a valid ${label}`, () => {
      const r = buildSnapshot(text, "gateway.yaml", validateOptions);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.snapshot).toBeDefined();
    });

    if (label !== "gateway.yaml") {
      // Found by the property below (seed -812342244): an alias inserted where it makes a duplicate key;
      // the parser counted the key's column past the end of the (empty) last line.
      it("points a duplicate key made of an unresolved alias inside the text", () => {
        const mutations: Mutation[] = [
          { kind: "delete", i: 1248948828 },
          { kind: "swap", i: 941999272, j: 1308333355 },
          { kind: "insert", at: 330707846, text: "*anchor" },
        ];
        runAll(mutate(text, mutations), false);
      });
    }

    it(`on mutations of ${label}`, () => {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, serve) => runAll(mutate(text, mutations), serve)),
        { numRuns: 150 },
      );
    });
  }
});

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof units;
const unitArb = fc.constantFrom<Unit>("ms", "s", "m", "h", "d");

describe("durations", () => {
  const msArb = fc.oneof(
    fc.nat(),
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.nat({ max: 1e9 }).map((n) => n * 1000),
    fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 23 }), fc.nat({ max: 59 }), fc.nat({ max: 59 })).map(
      ([d, h, m, s]) => d * units.d + h * units.h + m * units.m + s * units.s,
    ),
  );

  it("formatDuration(ms) parses back to ms", () => {
    fc.assert(
      fc.property(msArb, (ms) => {
        const text = formatDuration(ms);
        expect(text).toMatch(/^([0-9]+(ms|s|m|h|d))+$/);
        expect(parseDuration(text)).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });

  it("parseDuration of a sum of parts is the sum", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 1_000_000 }), unitArb), { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join("");
        const sum = parts.reduce((acc, [n, u]) => acc + n * units[u], 0);
        expect(parseDuration(text)).toBe(sum);
      }),
      { numRuns: 300 },
    );
  });

  it("parseDuration accepts exactly the duration grammar (reference: a regex and BigInt sums)", () => {
    const grammar = /^([0-9]+(ms|s|m|h|d))+$/;
    const reference = (text: string): number | undefined => {
      if (!grammar.test(text)) return undefined;
      let total = 0n;
      for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) total += BigInt(m[1]!) * BigInt(units[m[2] as Unit]);
      return total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : undefined;
    };
    const chars = fc.constantFrom("0", "1", "5", "9", "m", "s", "h", "d", "ms", " ", ".", "-", "x", "M");
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((c) => c.join("")), (text) => {
        expect(parseDuration(text)).toBe(reference(text));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// ${VAR} interpolation against a reference implementation
// ---------------------------------------------------------------------------

type Piece =
  | { kind: "text"; text: string }
  | { kind: "var"; name: string }
  | { kind: "default"; name: string; fallback: string }
  | { kind: "escaped"; name: string }
  | { kind: "runtime"; name: string };

const varNames = ["A", "B", "C_1", "_D", "LONG_NAME_2"];
const nameChoice = fc.constantFrom(...varNames);
/** Literal text never contains `$`, `{` or `}`, so pieces never run into each other. */
const literal = fc.string({ unit: fc.constantFrom("a", "b", "z", " ", ":", "-", "_", "0", "7", "/", ".", "é"), minLength: 1, maxLength: 6 });
const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  fc.record({ kind: fc.constant("text" as const), text: literal }),
  fc.record({ kind: fc.constant("var" as const), name: nameChoice }),
  fc.record({
    kind: fc.constant("default" as const),
    name: nameChoice,
    fallback: fc.string({ unit: fc.constantFrom("x", "1", " ", ":", "-", "$", "{", "/", "é"), maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant("escaped" as const), name: nameChoice }),
  // Filled per request (DESIGN.md 11), never from the environment.
  fc.record({ kind: fc.constant("runtime" as const), name: fc.constantFrom("consumer", "route", "requestId") }),
);
/** Env values may look like expressions themselves: they must not be expanded again. */
const envValue = fc.oneof(
  fc.string({ unit: fc.constantFrom("v", "1", " ", "$", "{", "}", ":", "-", "é"), maxLength: 6 }),
  fc.constantFrom("", "${A}", "$${B}", "${C_1:-d}"),
);
const envArb = fc.dictionary(nameChoice, envValue, { maxKeys: varNames.length });

function templateOf(pieces: readonly Piece[]): string {
  return pieces
    .map((p) => {
      switch (p.kind) {
        case "text":
          return p.text;
        case "var":
          return `\${${p.name}}`;
        case "default":
          return `\${${p.name}:-${p.fallback}}`;
        case "escaped":
          return `$\${${p.name}}`;
        case "runtime":
          return `\${${p.name}}`;
      }
    })
    .join("");
}

/**
 * The reference: `${NAME}` is the variable's value (even when empty); `${NAME:-d}` is the
 * value when set and non-empty, else `d`; `$${NAME}` is the literal `${NAME}`. A value
 * with an unset `${NAME}` (no default) is left as written. The runtime placeholders
 * `${consumer}`, `${route}`, `${requestId}` stay as they are.
 */
function referenceInterpolate(pieces: readonly Piece[], env: Readonly<Record<string, string>>): { value: string; unset: boolean } {
  let unset = false;
  const out = pieces.map((p) => {
    switch (p.kind) {
      case "text":
        return p.text;
      case "var": {
        const v = env[p.name];
        if (v === undefined) unset = true;
        return v ?? "";
      }
      case "default": {
        const v = env[p.name];
        return v === undefined || v === "" ? p.fallback : v;
      }
      case "escaped":
      case "runtime":
        return `\${${p.name}}`;
    }
  });
  return unset ? { value: templateOf(pieces), unset } : { value: out.join(""), unset };
}

function interpolateValue(template: string, env: Env, style: "double" | "single"): { value: unknown; unset: boolean; rules: string[] } {
  const scalar = style === "double" ? JSON.stringify(template) : `'${template.replace(/'/g, "''")}'`;
  const text = `v: ${scalar}\nlist:\n  - ${scalar}\n`;
  const parsed = parseSource(text, "t.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const result = interpolate(parsed.value!, env, "validate");
  const value = result.value!.value as { v: unknown; list: unknown[] };
  expect(value.list[0]).toEqual(value.v);
  return { value: value.v, unset: result.value!.unset.has("/v"), rules: result.diagnostics.map((d) => d.rule) };
}

describe("interpolation", () => {
  it("matches the reference implementation", () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 6 }), envArb, fc.constantFrom("double" as const, "single" as const), (pieces, env, style) => {
        const template = templateOf(pieces);
        const expected = referenceInterpolate(pieces, env);
        const actual = interpolateValue(template, env, style);
        expect(actual.value).toBe(expected.value);
        expect(actual.unset).toBe(expected.unset);
        if (expected.unset) expect(actual.rules).toContain("config.env.unset");
        else expect(actual.rules).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("re-types a plain scalar that is one expression, and only then", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.boolean(), (n, fromEnv) => {
        const env = fromEnv ? { LIMIT: String(n) } : {};
        const text = `plain: \${LIMIT:-${n}}\nquoted: "\${LIMIT:-${n}}"\nmixed: x\${LIMIT:-${n}}\n`;
        const parsed = parseSource(text, "t.yaml");
        const value = interpolate(parsed.value!, env, "validate").value!.value as Record<string, unknown>;
        expect(value).toEqual({ plain: n, quoted: String(n), mixed: `x${n}` });
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------

/** Reference wildcard matcher over UTF-16 code units: `*` any run, `?` one unit. */
function referenceGlob(pattern: string, value: string): boolean {
  const p = pattern.length;
  const v = value.length;
  let row = new Array<boolean>(v + 1).fill(false);
  row[0] = true;
  for (let i = 1; i <= p; i++) {
    const ch = pattern[i - 1];
    const next = new Array<boolean>(v + 1).fill(false);
    if (ch === "*") next[0] = row[0]!;
    for (let j = 1; j <= v; j++) {
      if (ch === "*") next[j] = row[j]! || next[j - 1]!;
      else if (ch === "?" || ch === value[j - 1]) next[j] = row[j - 1]!;
    }
    row = next;
  }
  return row[v]!;
}

describe("globs", () => {
  const noWildcards = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !/[*?]/.test(s));

  it("a literal pattern matches only itself", () => {
    fc.assert(
      fc.property(noWildcards, fc.string({ unit: "binary", maxLength: 12 }), (s, other) => {
        const g = compileGlob(s);
        expect(g.test(s)).toBe(true);
        expect(g.test(other)).toBe(other === s);
        expect(g.test(s + "x")).toBe(false);
        if (s.length > 0) expect(g.test(s.slice(0, -1))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("`prefix*` matches exactly the strings that start with prefix", () => {
    const value = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.tuple(noWildcards, fc.string({ maxLength: 6 })).map(([a, b]) => a + b));
    fc.assert(
      fc.property(noWildcards, value, fc.string({ maxLength: 6 }), (prefix, other, suffix) => {
        const g = compileGlob(`${prefix}*`);
        expect(g.test(prefix + suffix)).toBe(true);
        expect(g.test(other)).toBe(other.startsWith(prefix));
      }),
      { numRuns: 300 },
    );
  });

  it("any pattern agrees with a reference wildcard matcher, regex metacharacters included", () => {
    const patternChar = fc.constantFrom("a", "b", "*", "?", ".", "\\", "(", ")", "[", "]", "^", "$", "|", "+", "{", "}", "/", "\n");
    const valueChar = fc.constantFrom("a", "b", ".", "\\", "(", ")", "[", "]", "^", "$", "|", "+", "{", "}", "/", "\n");
    fc.assert(
      fc.property(
        fc.array(patternChar, { maxLength: 8 }).map((c) => c.join("")),
        fc.array(valueChar, { maxLength: 8 }).map((c) => c.join("")),
        (pattern, value) => {
          expect(compileGlob(pattern).test(value)).toBe(referenceGlob(pattern, value));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// Path normalisation
// ---------------------------------------------------------------------------

describe("normalizePath", () => {
  const token = fc.constantFrom(
    "/", "/", "/", ".", "..", "a", "b", "~", "-", "%2E", "%2e", "%41", "%7e", "%3a", "%3A", "%20", "%25", "%C3%A9", "%2F", "%5C", "%00", "%", "%zz", "\\", "é", "?", "=",
  );
  const pathArb = fc.array(token, { maxLength: 16 }).map((t) => "/" + t.join(""));

  it("is idempotent on its successful outputs and leaves no dot segments", () => {
    fc.assert(
      fc.property(pathArb, (raw) => {
        const first = normalizePath(raw);
        if (!first.ok) return;
        const out = first.path;
        expect(out.startsWith("/")).toBe(true);
        expect(normalizePath(out)).toEqual({ ok: true, path: out });
        expect(out).not.toMatch(/\/\.\.?(\/|$)/);
        // Escapes left in the output are upper-case and never of unreserved characters.
        for (const m of out.matchAll(/%(..)/g)) {
          expect(m[1]).toMatch(/^[0-9A-F]{2}$/);
          expect(String.fromCharCode(parseInt(m[1]!, 16))).not.toMatch(/[A-Za-z0-9._~-]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses exactly the paths with an encoded slash or backslash, a raw backslash, a NUL or a malformed escape", () => {
    fc.assert(
      fc.property(pathArb, (raw) => {
        const bad = /%2f|%5c|%00|\\|\u0000|%(?![0-9a-f]{2})/i.test(raw);
        expect(normalizePath(raw).ok).toBe(!bad);
      }),
      { numRuns: 300 },
    );
  });
});
