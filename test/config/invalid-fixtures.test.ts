/**
 * Table-driven fixtures for `aigw validate`.
 *
 * Every file in test/fixtures/invalid is a small gateway.yaml with one (or two)
 * deliberate mistakes; every file in test/fixtures/warnings is valid but earns
 * a warning. Each begins with header lines of the form
 *
 *   # expect: <rule-id> line <n>
 *
 * naming a finding the validator must report (rule id and 1-based line). For
 * invalid fixtures the expected findings are errors and they must be the only
 * errors (no cascade, no duplicates); for warning fixtures the command exits 0
 * and the expected warnings are present.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { VALIDATE_RULES } from "../../src/config/rules.js";
import { runCli } from "../helpers/io.js";

interface Expectation {
  rule: string;
  line: number;
}

interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: "error" | "warning" | "info";
  message: string;
  hint?: string;
}

interface Fixture {
  /** File name, e.g. `route-upstream-unknown.yaml`. */
  name: string;
  /** Path relative to the repository root, as passed to the CLI. */
  path: string;
  expect: Expectation[];
}

const root = resolve(import.meta.dirname, "../..");
const EXPECT_LINE = /^# expect: ([a-z0-9.-]+) line ([1-9][0-9]*)\s*$/;

function loadFixtures(folder: "invalid" | "warnings"): Fixture[] {
  const rel = join("test", "fixtures", folder);
  return readdirSync(join(root, rel))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const path = join(rel, name);
      const expectations: Expectation[] = [];
      for (const line of readFileSync(join(root, path), "utf8").split("\n")) {
        if (!line.startsWith("#")) break; // the header ends at the first non-comment line
        const m = EXPECT_LINE.exec(line);
        if (m !== null) expectations.push({ rule: m[1]!, line: Number(m[2]) });
        else if (line.startsWith("# expect")) throw new Error(`${path}: malformed header ${JSON.stringify(line)}`);
      }
      if (expectations.length === 0) throw new Error(`${path}: no "# expect: <rule> line <n>" header`);
      return { name, path, expect: expectations };
    });
}

async function validateJson(path: string): Promise<{ code: number; ok: boolean; findings: Finding[]; stderr: string }> {
  const r = await runCli(["validate", "--format", "json", "--load-plugins", path]);
  const out = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
  return { code: r.code, ok: out.ok, findings: out.findings, stderr: r.stderr };
}

const key = (e: Expectation): string => `${e.rule} line ${e.line}`;
const sorted = (xs: string[]): string[] => [...xs].sort();

const invalid = loadFixtures("invalid");
const warnings = loadFixtures("warnings");

/**
 * Fixtures that show a validator bug. The case stays in the suite, marked
 * `it.fails`, so it turns red (and must be unmarked) once the bug is fixed.
 */
const KNOWN_BUGS: Record<string, string> = {
  // Empty: every bug these fixtures found is fixed. Add `"<fixture>.yaml": "what is wrong"` for a new one.
};

type Case = (name: string, fn: () => Promise<void>) => void;
const caseFor = (name: string): Case => (name in KNOWN_BUGS ? it.fails : it);

describe("invalid fixtures: aigw validate exits 1 with the expected errors", () => {
  describe.each(invalid.map((f) => [f.name, f] as const))("%s", (name, fixture) => {
    caseFor(name)(fixture.expect.map(key).join(", "), async () => {
      const r = await validateJson(fixture.path);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(1);
      expect(r.ok).toBe(false);
      for (const f of r.findings) expect(f.file).toBe(fixture.path);
      const errors = r.findings.filter((f) => f.severity === "error");
      // Exactly the expected errors, each once: no cascades, no duplicates.
      expect(sorted(errors.map(key))).toEqual(sorted(fixture.expect.map(key)));
    });
  });
});

describe("warning fixtures: aigw validate exits 0 and reports the expected warnings", () => {
  describe.each(warnings.map((f) => [f.name, f] as const))("%s", (name, fixture) => {
    caseFor(name)(fixture.expect.map(key).join(", "), async () => {
      const r = await validateJson(fixture.path);
      expect(r.stderr).toBe("");
      expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.ok).toBe(true);
      const found = r.findings.filter((f) => f.severity === "warning").map(key);
      for (const e of fixture.expect) expect(found).toContain(key(e));
    });
  });
});

/**
 * Rules no fixture file can produce, each with the reason. Keep it short:
 * every rule that a file can trigger belongs in a fixture instead.
 */
const UNREACHABLE_FROM_A_FILE: Record<string, string> = {
  // The schema uses only keywords that validate.ts maps to a specific rule
  // (type, enum, const, pattern, format, minimum/maximum/exclusiveMinimum,
  // minLength, minItems, uniqueItems, required, additionalProperties,
  // propertyNames, anyOf, discriminator). `oneOf` appears only under a
  // discriminator, where ajv reports `discriminator` instead. The catch-all
  // `schema.invalid` is therefore unreachable with the current schema.
  "schema.invalid": "catch-all for ajv keywords the current schema does not use",
  "plugin.module.not-loaded": "info finding of validate without --load-plugins; fixtures run with it; covered by test/e2e/security-plugins-review.test.ts",
};

describe("rule coverage", () => {
  const ruleIds = new Set(VALIDATE_RULES.map((r) => r.id));
  const expectedRules = new Set([...invalid, ...warnings].flatMap((f) => f.expect.map((e) => e.rule)));
  // A rule counts as exercised only through a fixture that passes today.
  const exercised = new Set(
    [...invalid, ...warnings].filter((f) => !(f.name in KNOWN_BUGS)).flatMap((f) => f.expect.map((e) => e.rule)),
  );

  it("every rule a fixture expects is a documented rule id", () => {
    expect([...expectedRules].filter((r) => !ruleIds.has(r))).toEqual([]);
  });

  it("every rule any fixture actually emits is listed in VALIDATE_RULES", async () => {
    const emitted = new Set<string>();
    for (const f of [...invalid, ...warnings]) {
      for (const finding of (await validateJson(f.path)).findings) emitted.add(finding.rule);
    }
    expect([...emitted].filter((r) => !ruleIds.has(r)).sort()).toEqual([]);
  });

  it("every rule in VALIDATE_RULES is exercised by a fixture, except the allow-list", () => {
    const missing = [...ruleIds].filter((r) => !exercised.has(r) && !(r in UNREACHABLE_FROM_A_FILE));
    expect(missing.sort()).toEqual([]);
  });

  it("the allow-list names only real rules that no fixture covers", () => {
    for (const r of Object.keys(UNREACHABLE_FROM_A_FILE)) {
      expect(ruleIds.has(r)).toBe(true);
      expect(expectedRules.has(r)).toBe(false);
    }
  });

  it("every known-bug entry names an existing fixture", () => {
    const names = new Set([...invalid, ...warnings].map((f) => f.name));
    expect(Object.keys(KNOWN_BUGS).filter((n) => !names.has(n))).toEqual([]);
  });

  it("warning-only rules live in fixtures/warnings, error rules in fixtures/invalid", () => {
    const warningRules = new Set(warnings.flatMap((f) => f.expect.map((e) => e.rule)));
    const errorRules = new Set(invalid.flatMap((f) => f.expect.map((e) => e.rule)));
    expect([...warningRules].filter((r) => errorRules.has(r))).toEqual([]);
  });
});

describe("message quality", () => {
  /** The findings of an invalid fixture, errors only. */
  const findingsOf = async (name: string): Promise<Finding[]> =>
    (await validateJson(join("test", "fixtures", "invalid", name))).findings.filter((f) => f.severity === "error");

  it('a misspelt key gets did you mean "<key>"', async () => {
    const [f] = await findingsOf("schema-unknown-key-typo.yaml");
    expect(f).toMatchObject({ rule: "schema.unknown-key", line: 6, column: 5 });
    expect(f!.message).toBe('unknown key "tragets" in upstreams[0]; did you mean "targets"?');
  });

  it('a misspelt top-level key gets did you mean "<key>"', async () => {
    const [f] = await findingsOf("schema-unknown-key-top-level.yaml");
    expect(f!.message).toContain('did you mean "upstreams"?');
  });

  it('a misspelt upstream reference gets did you mean "<name>"', async () => {
    const [f] = await findingsOf("route-upstream-unknown.yaml");
    expect(f!.message).toBe('route "chat" references upstream "opanai"; did you mean "openai"?');
    const [s] = await findingsOf("route-split-upstream-unknown.yaml");
    expect(s!.message).toContain('did you mean "openai-canary"?');
  });

  it("a reference to a name that is nowhere close gets no suggestion", async () => {
    const [f] = await findingsOf("route-fallback-unknown.yaml");
    expect(f!.message).toBe('route "chat" references upstream "local-llama"');
  });

  it('a misspelt enum value gets did you mean "<value>"', async () => {
    const [f] = await findingsOf("schema-enum-balancer.yaml");
    expect(f!.rule).toBe("schema.enum");
    expect(f!.message).toMatch(/^upstreams\[0\]\.balancer must be one of .*"round_robin".*; got "round_robbin"; did you mean "round_robin"\?$/);
    const [t] = await findingsOf("schema-enum-auth-type.yaml");
    expect(t!.message).toContain('got "apikey"; did you mean "apiKey"?');
  });

  // Bug: suggestions use plain Levenshtein distance with a limit of
  // floor(length / 3), so a transposition (2 edits) in a short word such as
  // "tpye" for "type" (or "cros" for "cors") gets no suggestion at all.
  it('a key with two letters transposed gets did you mean "<key>"', async () => {
    const f = (await findingsOf("schema-unknown-key-transposed.yaml")).find((x) => x.rule === "schema.unknown-key");
    expect(f!.message).toContain('did you mean "type"?');
  });

  it('a misspelt enum value inside an anyOf gets did you mean "<value>"', async () => {
    const [f] = await findingsOf("schema-enum-retry-condition.yaml");
    expect(f!.message).toContain('did you mean "connect_error"?');
  });

  // Bug: the yaml library's message is passed through verbatim; it tells the
  // user to call a library function.
  it("a second YAML document is explained in the user's terms, not the library's", async () => {
    const [f] = await findingsOf("yaml-multiple-documents.yaml");
    expect(f!.rule).toBe("yaml.syntax");
    expect(f!.message).not.toContain("parseAllDocuments");
  });

  it('a misspelt plugin name gets did you mean "<plugin>"', async () => {
    const [f] = await findingsOf("plugin-unknown.yaml");
    expect(f!.message).toBe('unknown plugin "request-header"; did you mean "request-headers"?');
    expect(f!.hint).toContain("a custom plugin needs `module`");
  });

  it("a duplicate name says where the first one is", async () => {
    const [f] = await findingsOf("upstream-name-duplicate.yaml");
    expect(f!.message).toBe('duplicate upstream name "openai" (first declared on line 4)');
  });

  it("a literal secret from a fixture never appears in the output", async () => {
    // jwt-secret-weak.yaml and auth-key-duplicate-hash-and-value.yaml hold literal secrets.
    for (const fixture of [...invalid, ...warnings]) {
      for (const format of ["text", "json"]) {
        const r = await runCli(["validate", "--format", format, fixture.path]);
        expect(r.stdout).not.toContain("changeme");
        expect(r.stdout).not.toContain("sk-local-dev-key");
      }
    }
  });

  it("the text format prints file:line:col error [rule] message", async () => {
    const path = join("test", "fixtures", "invalid", "route-upstream-unknown.yaml");
    const r = await runCli(["validate", path]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toContain(
      `${path}:11:15 error [route.upstream.unknown] route "chat" references upstream "opanai"; did you mean "openai"?`,
    );
    for (const line of r.stdout.split("\n").filter((l) => / (error|warning) \[/.test(l))) {
      expect(line).toMatch(/^test\/fixtures\/invalid\/route-upstream-unknown\.yaml:\d+:\d+ (error|warning) \[[a-z0-9.-]+\] \S/);
    }
    expect(r.stdout).toContain(`${path}: invalid`);
  });
});
