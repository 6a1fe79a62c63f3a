/**
 * `aigw lint`: the rule engine, its rules, the file's `lint.rules`, the
 * command's exit codes and its four output formats.
 *
 * Every file in test/fixtures/lint is a valid config that triggers exactly
 * the findings its header names (`# expect: <rule-id> line <n>`), and there is
 * at least one such file per rule. Files in test/fixtures/lint/invalid fail
 * validate; lint prints validate's findings for them and exits 1.
 */
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { VALIDATE_RULES } from "../../src/config/rules.js";
import { LINT_RULES, lint, lintRule } from "../../src/lint/engine.js";
import { build } from "../helpers/build.js";
import { runCli } from "../helpers/io.js";

const root = resolve(import.meta.dirname, "../..");
const EXPECT_LINE = /^# expect: ([a-z0-9.-]+) line ([1-9][0-9]*)\s*$/;

interface Expectation {
  rule: string;
  line: number;
}
interface Finding extends Expectation {
  file: string;
  column: number;
  severity: "error" | "warning" | "info";
  message: string;
  hint?: string;
}
interface Fixture {
  name: string;
  path: string;
  expect: Expectation[];
}

function loadFixtures(folder: string): Fixture[] {
  return readdirSync(join(root, folder))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const path = join(folder, name);
      const expectations: Expectation[] = [];
      for (const line of readFileSync(join(root, path), "utf8").split("\n")) {
        if (!line.startsWith("#")) break;
        const m = EXPECT_LINE.exec(line);
        if (m !== null) expectations.push({ rule: m[1]!, line: Number(m[2]) });
        else if (line.startsWith("# expect")) throw new Error(`${path}: malformed header ${JSON.stringify(line)}`);
      }
      if (expectations.length === 0) throw new Error(`${path}: no "# expect: <rule> line <n>" header`);
      return { name, path, expect: expectations };
    });
}

const fixtures = loadFixtures("test/fixtures/lint");
const invalidFixtures = loadFixtures("test/fixtures/lint/invalid");
const key = (e: Expectation): string => `${e.rule} line ${e.line}`;

async function lintJson(
  path: string,
  args: string[] = [],
  options: Parameters<typeof runCli>[1] = {},
): Promise<{ code: number; ok: boolean; findings: Finding[]; stderr: string }> {
  const r = await runCli(["lint", "--format", "json", path, ...args], options);
  const out = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
  return { code: r.code, ok: out.ok, findings: out.findings, stderr: r.stderr };
}

/** A dummy value for every `${VAR}` a file names, as CI with secrets would have. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    const name = m[1]!;
    env[name] = name.endsWith("_URL") ? "redis://127.0.0.1:6379" : createHash("sha256").update(name).digest("hex").slice(0, 40);
  }
  return env;
}

describe("lint fixtures: each rule's case is found, and nothing else", () => {
  describe.each(fixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    it(fixture.expect.map(key).join(", "), async () => {
      const r = await lintJson(fixture.path);
      expect(r.stderr).toBe("");
      for (const f of r.findings) expect(f.file).toBe(fixture.path);
      expect(r.findings.map(key).sort()).toEqual(fixture.expect.map(key).sort());
      const errors = r.findings.some((f) => f.severity === "error");
      expect(r.code).toBe(errors ? 1 : 0);
      expect(r.ok).toBe(!errors);
      for (const f of r.findings) {
        expect(f.severity).toBe(lintRule(f.rule)!.severity);
        expect(f.hint).toBeTruthy();
      }
    });
  });
});

describe("configs that fail validate: lint prints validate's findings and exits 1", () => {
  describe.each(invalidFixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    it(fixture.expect.map(key).join(", "), async () => {
      const r = await lintJson(fixture.path);
      expect(r.code).toBe(1);
      expect(r.ok).toBe(false);
      expect(r.findings.filter((f) => f.severity === "error").map(key)).toEqual(fixture.expect.map(key));
      const text = await runCli(["lint", fixture.path]);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`${fixture.path}: invalid`);
    });
  });
});

describe("the rule catalogue", () => {
  it("has unique, dotted lower-case ids, each with a severity, a doc line and a hint", () => {
    const ids = LINT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of LINT_RULES) {
      expect(r.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
      expect(["error", "warning", "info"]).toContain(r.severity);
      expect(r.description.length).toBeGreaterThan(20);
      expect(r.description).not.toContain("\n");
      expect(r.hint.length).toBeGreaterThan(10);
    }
  });

  it("shares no id with validate except config.env.unset, which lint re-reports", () => {
    const validateIds = new Set(VALIDATE_RULES.map((r) => r.id));
    expect(LINT_RULES.map((r) => r.id).filter((id) => validateIds.has(id))).toEqual(["config.env.unset"]);
  });

  it("every rule has a fixture, and every fixture names lint rules only", () => {
    const covered = new Set(fixtures.flatMap((f) => f.expect.map((e) => e.rule)));
    expect(LINT_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
    expect([...covered].filter((id) => lintRule(id) === undefined)).toEqual([]);
  });

  it("the CLI reference's rule table lists every rule with its default severity", () => {
    const doc = readFileSync(join(root, "docs/cli.md"), "utf8");
    const rows = [...doc.matchAll(/^\| `([a-z0-9.-]+)` \| (error|warning|info) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(LINT_RULES.map((r) => [r.id, r.severity]));
  });

  it("--list-rules prints every rule (text and json)", async () => {
    const text = await runCli(["lint", "--list-rules"]);
    expect(text.code).toBe(0);
    for (const r of LINT_RULES) expect(text.stdout).toContain(r.id);
    const json = await runCli(["lint", "--list-rules", "--format", "json"]);
    const rules = (JSON.parse(json.stdout) as { rules: { id: string; severity: string }[] }).rules;
    expect(rules.map((r) => r.id)).toEqual(LINT_RULES.map((r) => r.id));
  });
});

describe("quiet on the shipped configs", () => {
  const configs = ["gateway.yaml", ...readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")).sort().map((f) => `examples/${f}`)];

  // The shipped configs and their plugin modules are this repository's own, so trusted: `--load-plugins`
  // checks examples/plugins.yaml's custom plugin config too (without it, lint says the module was not loaded).
  it.each(configs)("%s has no findings when its variables are set", async (file) => {
    const env = envFor(readFileSync(join(root, file), "utf8"));
    const r = await lintJson(file, ["--load-plugins"], { env });
    expect(r.stderr).toBe("");
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.ok).toBe(true);
    const text = await runCli(["lint", file, "--load-plugins"], { env });
    expect(text.stdout).toBe(`${file}: no lint findings\n`);
  });

  it.each(configs)("%s without its variables (CI has no secrets): only config.env.unset warnings, exit 0", async (file) => {
    const r = await lintJson(file, ["--load-plugins"]);
    expect(r.code).toBe(0);
    expect(r.findings.filter((f) => f.rule !== "config.env.unset")).toEqual([]);
    expect(r.findings.every((f) => f.severity === "warning")).toBe(true);
  });
});

const twoWarnings = `version: 1
upstreams:
  - { name: users, type: http, targets: [{ url: "http://users.internal:8080" }] }
  - { name: users-old, type: http, targets: [{ url: "http://users-old.internal:8080" }] }
  - { name: users-older, type: http, targets: [{ url: "http://users-older.internal:8080" }] }
routes:
  - { name: users, match: { pathPrefix: /users }, upstream: users }
`;

describe("lint.rules in the file", () => {
  const shadowed = `version: 1
upstreams:
  - { name: a, type: http, targets: [{ url: "http://a.internal" }] }
routes:
  - { name: first, match: { path: /x }, upstream: a }
  - { name: second, match: { path: /x, methods: [GET] }, upstream: a }
`;

  it("off silences a rule", async () => {
    expect((await lintJson("c.yaml", [], { files: { "c.yaml": shadowed } })).code).toBe(1);
    const r = await lintJson("c.yaml", [], { files: { "c.yaml": shadowed + "lint: { rules: { route.shadowed: off } }\n" } });
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("a severity override changes the finding's severity and the exit code", async () => {
    const up = await lintJson("c.yaml", [], { files: { "c.yaml": twoWarnings + "lint: { rules: { upstream.unused: error } }\n" } });
    expect(up.findings.map((f) => f.severity)).toEqual(["error", "error"]);
    expect(up.code).toBe(1);
    const down = await lintJson("c.yaml", [], { files: { "c.yaml": shadowed + "lint:\n  rules:\n    route.shadowed: info\n" } });
    expect(down.findings.map((f) => [f.rule, f.severity])).toEqual([["route.shadowed", "info"]]);
    expect(down.code).toBe(0);
  });

  it("an unknown id is a warning with a suggestion; a validate id is explained", async () => {
    const r = await lintJson("c.yaml", [], {
      files: { "c.yaml": twoWarnings + "lint:\n  rules:\n    upstream.unsued: off\n    route.sticky.no-split: off\n    upstream.unused: off\n" },
    });
    expect(r.code).toBe(0);
    expect(r.findings.map((f) => [f.rule, f.line, f.column, f.message])).toEqual([
      ["lint.rule.unknown", 10, 5, 'unknown lint rule "upstream.unsued"; did you mean "upstream.unused"?'],
      ["lint.rule.unknown", 11, 5, '"route.sticky.no-split" is a validate rule; `lint.rules` configures lint rules only'],
    ]);
  });

  it("lint.rule.unknown itself can be turned off", async () => {
    const r = await lintJson("c.yaml", [], { files: { "c.yaml": twoWarnings + "lint: { rules: { upstream.unused: off, nope.nope: off, lint.rule.unknown: off } }\n" } });
    expect(r.findings).toEqual([]);
  });
});

describe("--max-warnings and exit codes", () => {
  const files = { "c.yaml": twoWarnings };

  it("warnings alone exit 0; more than --max-warnings exit 1", async () => {
    expect((await lintJson("c.yaml", [], { files })).code).toBe(0);
    expect((await lintJson("c.yaml", ["--max-warnings", "2"], { files })).code).toBe(0);
    const over = await lintJson("c.yaml", ["--max-warnings", "1"], { files });
    expect(over.code).toBe(1);
    expect(over.ok).toBe(false);
    const text = await runCli(["lint", "c.yaml", "--max-warnings", "0"], { files });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("c.yaml: 0 errors, 2 warnings (more than --max-warnings 0)");
  });

  it("info findings never count as warnings", async () => {
    const r = await lintJson("test/fixtures/lint/route.cache.nondeterministic.yaml", ["--max-warnings", "0"]);
    expect(r.code).toBe(0);
  });

  it("usage mistakes exit 2 with a message on stderr", async () => {
    for (const argv of [["lint", "c.yaml", "--max-warnings", "-1"], ["lint", "c.yaml", "--max-warnings", "x"], ["lint"], ["lint", "c.yaml", "--format", "xml"]]) {
      const r = await runCli(argv, { files });
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).not.toBe("");
      expect(r.stdout).toBe("");
    }
  });

  it("an unreadable file exits 2", async () => {
    const r = await runCli(["lint", "missing.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read missing.yaml");
  });

  it("--help shows examples", async () => {
    const r = await runCli(["lint", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--max-warnings");
  });
});

describe("output formats", () => {
  const fixture = "test/fixtures/lint/route.shadowed.yaml";

  it("text: file:line:col severity [rule] message, the hint on the next line", async () => {
    const r = await runCli(["lint", fixture]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(
      `${fixture}:14:11 error [route.shadowed] route "users-by-host" can never match: every request it accepts on paths under /api/users is taken first by routes "users-read" and "users-write"`,
    );
    expect(lines[1]).toMatch(/^ {2}hint: routes of the same path are tried in file order: move "users-by-host" above/);
    expect(lines[2]).toBe(`${fixture}: 1 error, 0 warnings`);
  });

  it("json: {ok, findings: [{file, line, column, rule, severity, message, hint}]}", async () => {
    const r = await lintJson(fixture);
    expect(r.ok).toBe(false);
    expect(r.findings).toHaveLength(1);
    expect(Object.keys(r.findings[0]!).sort()).toEqual(["column", "file", "hint", "line", "message", "rule", "severity"]);
  });

  it("github: workflow commands with file, line, col and the rule as title", async () => {
    const r = await runCli(["lint", "--format", "github", "test/fixtures/lint/upstream.unused.yaml"]);
    expect(r.stdout).toMatch(
      /^::warning file=test\/fixtures\/lint\/upstream\.unused\.yaml,line=6,col=13,title=upstream\.unused::upstream "users-old" is not used by any route%0Aremove the upstream, or route to it\n$/,
    );
    const info = await runCli(["lint", "--format", "github", "test/fixtures/lint/route.cache.nondeterministic.yaml"]);
    expect(info.stdout).toMatch(/^::notice /);
  });

  describe("sarif", () => {
    const schemaPath = join(root, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;

    /**
     * The schema is written in draft-04. It uses no keyword whose meaning
     * changed since (no boolean exclusiveMinimum/Maximum; `id` only at the
     * root), so ajv's draft-07 validator checks exactly the same constraints
     * once the root `id` is spelled `$id`. Its patterns are ECMA-262 regexes
     * of the time, without the `u` flag (one, for `language`, has a stray `]`
     * that only the `u` flag rejects), so ajv compiles them the same way.
     */
    const validator = (() => {
      const walk = (node: unknown, path: string): void => {
        if (node === null || typeof node !== "object") return;
        for (const [k, v] of Object.entries(node)) {
          if ((k === "exclusiveMinimum" || k === "exclusiveMaximum") && typeof v === "boolean") throw new Error(`draft-04 ${k} at ${path}`);
          walk(v, `${path}/${k}`);
        }
      };
      walk(schema, "");
      const { id, $schema: _draft, ...rest } = schema;
      const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
      type AddFormats = (a: Ajv) => Ajv;
      const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats));
      addFormats(ajv);
      return ajv.compile({ $id: String(id), ...rest });
    })();

    const sarifOf = async (path: string, env: Record<string, string> = {}): Promise<Record<string, any>> => {
      const r = await runCli(["lint", "--format", "sarif", path], { env });
      const log = JSON.parse(r.stdout) as Record<string, any>;
      const valid = validator(log);
      expect(validator.errors ?? [], path).toEqual([]);
      expect(valid).toBe(true);
      return log;
    };

    it("is valid against the SARIF 2.1.0 schema for every fixture, invalid configs and a clean file", async () => {
      expect(String(schema.title)).toContain("2.1.0");
      for (const f of [...fixtures, ...invalidFixtures]) await sarifOf(f.path);
      await sarifOf("examples/multi-tenant.yaml", envFor(readFileSync(join(root, "examples/multi-tenant.yaml"), "utf8")));
    });

    it("the validator rejects what the schema forbids (it is not vacuous)", async () => {
      const log = await sarifOf("test/fixtures/lint/upstream.unused.yaml");
      const broken = structuredClone(log);
      broken.runs[0].results[0].level = "fatal";
      expect(validator(broken)).toBe(false);
      const noVersion = structuredClone(log);
      delete noVersion.version;
      expect(validator(noVersion)).toBe(false);
      const badRegion = structuredClone(log);
      badRegion.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
      expect(validator(badRegion)).toBe(false);
    });

    it("carries metadata for every rule and results with rule, level and region", async () => {
      const log = await sarifOf("test/fixtures/lint/config.inline-secret.yaml");
      expect(log.version).toBe("2.1.0");
      const run = log.runs[0];
      const rules = run.tool.driver.rules as Record<string, any>[];
      expect(rules.map((r) => r.id)).toEqual(LINT_RULES.map((r) => r.id));
      for (const [i, r] of rules.entries()) {
        const def = LINT_RULES[i]!;
        expect(r.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
        expect(r.shortDescription.text).toBe(def.description);
        expect(r.fullDescription.text).toContain(def.hint);
        expect(r.help.text).toBe(def.hint);
        expect(r.defaultConfiguration.level).toBe({ error: "error", warning: "warning", info: "note" }[def.severity]);
      }
      const results = run.results as Record<string, any>[];
      expect(results.map((x) => [x.ruleId, x.level, x.locations[0].physicalLocation.region.startLine])).toEqual([
        ["config.inline-secret", "error", 8],
        ["config.inline-secret", "error", 16],
        ["config.inline-secret", "error", 19],
      ]);
      for (const x of results) {
        expect(rules[x.ruleIndex]!.id).toBe(x.ruleId);
        expect(x.locations[0].physicalLocation.artifactLocation.uri).toBe("test/fixtures/lint/config.inline-secret.yaml");
        expect(x.locations[0].physicalLocation.region.startColumn).toBeGreaterThan(1);
      }
    });

    it("names validate's rules when the config fails validate", async () => {
      const log = await sarifOf("test/fixtures/lint/invalid/upstream.weights-zero.yaml");
      const run = log.runs[0];
      const result = run.results[0];
      expect(result.ruleId).toBe("upstream.weights-zero");
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe("upstream.weights-zero");
      expect(run.tool.driver.rules[result.ruleIndex].shortDescription.text).toBe("Every target of an upstream has weight 0.");
    });
  });
});

describe("secrets never appear in the output", () => {
  const inline = ["billing-api-key-do-not-commit", "3f1a9c0e7d2b4a68", "sk-proj-Zx81LqP0mWv3RtYb7NcK2dHf9GjS4aUe"];
  const fromEnv = {
    OPENAI_API_KEY: "sk-proj-EnvSecretValue0000000000000000",
    PARTNER_TOKEN: "partner-token-from-env-123456",
    REDIS_URL: "redis://:hunter2-redis-password@redis.internal:6379",
  };
  const config = `version: 1
state:
  redis: { url: "\${REDIS_URL}" }
consumers:
  - { name: ghost, budget: { usd: 5 } }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "https://api.openai.com" }], credentials: { apiKey: "\${OPENAI_API_KEY}" }, models: [gpt-4o] }
  - { name: openai-copy, type: openai, targets: [{ url: "https://api.openai.com" }], credentials: { apiKey: "\${OPENAI_API_KEY}" } }
routes:
  - name: chat
    match: { path: /v1/chat/completions, model: "gpt-*", headers: { x-partner: "\${PARTNER_TOKEN}" } }
    upstream: openai
    fallback: [openai-copy]
    headers: { request: { set: { x-token: "\${PARTNER_TOKEN}" } } }
    cache: { ttl: 1m }
  - name: chat-2
    match: { path: /v1/chat/completions, model: "gpt-4*", headers: { x-partner: "\${PARTNER_TOKEN}" } }
    upstream: openai
`;

  it("neither literal secrets in the file nor values of secret variables", async () => {
    for (const format of ["text", "json", "github", "sarif"]) {
      const fixture = await runCli(["lint", "--format", format, "test/fixtures/lint/config.inline-secret.yaml"]);
      expect(fixture.stdout).toContain("config.inline-secret");
      for (const s of inline) expect(fixture.stdout).not.toContain(s);

      const r = await runCli(["lint", "--format", format, "c.yaml"], { env: fromEnv, files: { "c.yaml": config } });
      expect(r.stderr).toBe("");
      // The config earns findings from several rules that name routes, upstreams and models...
      for (const rule of ["route.shadowed", "route.public-ai", "route.fallback.cycle", "budget.on-error-allow", "pricing.model.uncovered"]) {
        expect(r.stdout, `${format} ${rule}`).toContain(rule);
      }
      // ...and none of them prints a secret.
      for (const s of [...Object.values(fromEnv), "hunter2"]) expect(r.stdout, format).not.toContain(s);
    }
  });

  it("the engine redacts a secret value that would otherwise reach a message", () => {
    const secret = "sk-proj-ModelNamedLikeASecret000000";
    const result = build(
      `version: 1
upstreams: [{ name: m, type: mock }]
routes:
  - { name: a, match: { path: /x, model: "\${SECRET_MODEL}*" }, upstream: m }
  - { name: b, match: { path: /x, model: "*\${SECRET_MODEL}" }, upstream: m }
`,
      { env: { SECRET_MODEL: secret } },
    );
    const findings = lint(result, { env: { SECRET_MODEL: secret } });
    // The shortest model both patterns claim is the secret itself.
    const claimed = findings.find((f) => f.rule === "route.model.claimed-twice");
    expect(claimed?.message).toContain("<redacted:");
    for (const f of findings) expect(`${f.message} ${f.hint ?? ""}`).not.toContain(secret);
  });
});

/** The findings of one rule on a config (the config must be valid). */
function findingsOf(ruleId: string, yaml: string): { rule: string; line: number; message: string }[] {
  const result = build(yaml);
  if (result.snapshot === undefined) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join("\n"));
  return lint(result, { rules: [lintRule(ruleId)!] }).map((d) => ({ rule: d.rule, line: d.line, message: d.message }));
}

/** Names of the routes `route.shadowed` reports, for routes given as flow mappings after one upstream of each kind. */
function shadowedRoutes(...routes: string[]): string[] {
  const yaml = `version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "http://svc.internal" }] }
  - { name: ai, type: mock }
routes:
${routes.map((r) => `  - ${r}`).join("\n")}
`;
  return findingsOf("route.shadowed", yaml).map((f) => /route "([^"]+)"/.exec(f.message)![1]!);
}

describe("route.shadowed follows the router's precedence exactly", () => {
  it("a second route with the same exact path and no extra condition", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x }, upstream: svc }", "{ name: b, match: { path: /x }, upstream: svc }")).toEqual(["b"]);
  });

  it("never across exact and prefix, or different prefixes: those have paths of their own", () => {
    expect(shadowedRoutes("{ name: a, match: { pathPrefix: / }, upstream: svc }", "{ name: b, match: { path: /x }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { path: /x }, upstream: svc }", "{ name: b, match: { pathPrefix: /x }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { pathPrefix: /x/y }, upstream: svc }", "{ name: b, match: { pathPrefix: /x }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { pathPrefix: /x }, upstream: svc }", "{ name: b, match: { pathPrefix: /x/y }, upstream: svc }")).toEqual([]);
  });

  it("the same prefix written differently, and a route with no path (every path)", () => {
    expect(shadowedRoutes("{ name: a, match: { pathPrefix: /x/ }, upstream: svc }", "{ name: b, match: { pathPrefix: /x }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, upstream: svc }", "{ name: b, match: { pathPrefix: / }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /a%7Eb }, upstream: svc }", "{ name: b, match: { path: /a~b }, upstream: svc }")).toEqual(["b"]);
  });

  it("later routes are never shadowed by routes after them in the file", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x, methods: [GET] }, upstream: svc }", "{ name: b, match: { path: /x }, upstream: svc }")).toEqual([]);
  });

  it("methods: a subset is shadowed, a union of earlier routes counts, unlisted methods are not covered", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x, methods: [GET, POST] }, upstream: svc }", "{ name: b, match: { path: /x, methods: [POST] }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, methods: [GET] }, upstream: svc }", "{ name: b, match: { path: /x, methods: [HEAD] }, upstream: svc }")).toEqual([]);
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, methods: [GET] }, upstream: svc }",
        "{ name: b, match: { path: /x, methods: [POST] }, upstream: svc }",
        "{ name: c, match: { path: /x, methods: [GET, POST] }, upstream: svc }",
      ),
    ).toEqual(["c"]);
    // Every listed method taken, but a route without `methods` also takes TRACE, PROPFIND, ...
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, methods: [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS] }, upstream: svc }",
        "{ name: b, match: { path: /x }, upstream: svc }",
      ),
    ).toEqual([]);
  });

  it("hosts: wildcards cover what they match, and nothing more", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x, host: '*.example.com' }, upstream: svc }", "{ name: b, match: { path: /x, host: API.example.com }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, host: '*.example.com' }, upstream: svc }", "{ name: b, match: { path: /x, host: example.com }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, host: 'api.*' }, upstream: svc }", "{ name: b, match: { path: /x, host: api.example.com }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, host: a.com }, upstream: svc }", "{ name: b, match: { path: /x, host: b.com }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, host: '*' }, upstream: svc }", "{ name: b, match: { path: /x, host: b.com }, upstream: svc }")).toEqual(["b"]);
  });

  it("headers: an earlier header condition covers only requests that carry it", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x, headers: { x-team: '*' } }, upstream: svc }", "{ name: b, match: { path: /x }, upstream: svc }")).toEqual([]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, headers: { x-team: '*' } }, upstream: svc }", "{ name: b, match: { path: /x, headers: { X-Team: 'blue*' } }, upstream: svc }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, headers: { x-team: 'blue' } }, upstream: svc }", "{ name: b, match: { path: /x, headers: { x-team: 'blue?' } }, upstream: svc }")).toEqual([]);
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, headers: { x-team: 'a*' } }, upstream: svc }",
        "{ name: b, match: { path: /x, headers: { x-team: 'b*' } }, upstream: svc }",
        "{ name: c, match: { path: /x, headers: { x-team: '?', x-env: prod } }, upstream: svc }",
      ),
    ).toEqual([]);
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, headers: { x-team: 'a*' } }, upstream: svc }",
        "{ name: b, match: { path: /x, headers: { x-team: 'b*' } }, upstream: svc }",
        "{ name: c, match: { path: /x, headers: { x-team: '[ab]', x-env: prod } }, upstream: svc }",
      ),
    ).toEqual([]);
  });

  it("models: a route without a model condition also takes requests with no model", () => {
    expect(shadowedRoutes("{ name: a, match: { path: /x, model: 'gpt-*' }, upstream: ai }", "{ name: b, match: { path: /x, model: gpt-4o }, upstream: ai }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x }, upstream: ai }", "{ name: b, match: { path: /x, model: gpt-4o }, upstream: ai }")).toEqual(["b"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, model: '*' }, upstream: ai }", "{ name: b, match: { path: /x }, upstream: ai }")).toEqual([]);
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, model: 'gpt-*' }, upstream: ai }",
        "{ name: b, match: { path: /x, model: 'claude-*' }, upstream: ai }",
        "{ name: c, match: { path: /x, model: [gpt-4o, claude-3] }, upstream: ai }",
        "{ name: d, match: { path: /x, model: [gpt-4o, llama3] }, upstream: ai }",
      ),
    ).toEqual(["c"]);
    expect(shadowedRoutes("{ name: a, match: { path: /x, model: 'gpt-4?' }, upstream: ai }", "{ name: b, match: { path: /x, model: 'gpt-4*' }, upstream: ai }")).toEqual([]);
  });

  it("conditions combine per request: covering each condition separately is not enough", () => {
    // a takes GET from any host, b takes any method from api.x; c = POST from web.x is left.
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, methods: [GET] }, upstream: svc }",
        "{ name: b, match: { path: /x, host: api.x }, upstream: svc }",
        "{ name: c, match: { path: /x, methods: [GET, POST], host: '*.x' }, upstream: svc }",
      ),
    ).toEqual([]);
    expect(
      shadowedRoutes(
        "{ name: a, match: { path: /x, methods: [GET] }, upstream: svc }",
        "{ name: b, match: { path: /x, methods: [POST], host: '*.x' }, upstream: svc }",
        "{ name: c, match: { path: /x, methods: [GET, POST], host: '*.x' }, upstream: svc }",
      ),
    ).toEqual(["c"]);
  });
});

describe("route.model.claimed-twice", () => {
  const routes = (...models: string[]): string => `version: 1
upstreams: [{ name: ai, type: mock }]
routes:
${models.map((m, i) => `  - { name: r${i}, match: { path: /v1/chat/completions, model: ${m} }, upstream: ai }`).join("\n")}
`;
  it("a specific route before a general one is the intended pattern", () => {
    expect(findingsOf("route.model.claimed-twice", routes("gpt-4o-mini", "'gpt-*'"))).toEqual([]);
  });
  it("disjoint patterns, or a later pattern wholly taken (that is route.shadowed), are not reported", () => {
    expect(findingsOf("route.model.claimed-twice", routes("'gpt-*'", "'claude-*'"))).toEqual([]);
    expect(findingsOf("route.model.claimed-twice", routes("'gpt-*'", "gpt-4o"))).toEqual([]);
  });
  it("a later list that loses one of its models to an earlier route is reported, with an example", () => {
    const [f] = findingsOf("route.model.claimed-twice", routes("'gpt-*'", "[gpt-4o, llama3]"));
    expect(f?.message).toBe('routes "r0" and "r1" both claim models such as "gpt-4o" on path /v1/chat/completions; "r0" comes first and takes them');
  });
  it("routes that never see the same request do not compete", () => {
    const yaml = `version: 1
upstreams: [{ name: ai, type: mock }]
routes:
  - { name: a, match: { path: /v1/chat/completions, methods: [GET], model: 'gpt-4*' }, upstream: ai }
  - { name: b, match: { path: /v1/chat/completions, methods: [POST], model: 'gpt-*o' }, upstream: ai }
  - { name: c, match: { path: /v1/embeddings, model: 'gpt-*o' }, upstream: ai }
`;
    expect(findingsOf("route.model.claimed-twice", yaml)).toEqual([]);
  });
});

describe("other rules' edges", () => {
  const keyHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  it("route.ai.no-rate-limit: consumer policies count when every caller has one; shadow policies never count", () => {
    const base = (consumerLimits: string, mode = "enforce"): string => `version: 1
auth: [{ name: keys, type: apiKey, keys: [{ id: a, consumer: team, sha256: "${keyHash}" }] }]
consumers: [{ name: team, rateLimits: ${consumerLimits} }]
rateLimits: [{ name: tpm, limit: 1000, window: 1m, mode: ${mode} }]
upstreams: [{ name: ai, type: mock }]
routes: [{ name: chat, match: { path: /x }, auth: [keys], upstream: ai }]
`;
    expect(findingsOf("route.ai.no-rate-limit", base("[tpm]"))).toEqual([]);
    expect(findingsOf("route.ai.no-rate-limit", base("[tpm]", "shadow"))).toHaveLength(1);
    expect(findingsOf("route.ai.no-rate-limit", base("[]"))).toHaveLength(1);
  });

  it("route.public-ai: a mock upstream is exempt, a paid fallback is not", () => {
    const yaml = (fallback: string): string => `version: 1
rateLimits: [{ name: g, limit: 10, window: 1s, key: global }]
gateway: { rateLimits: [g] }
upstreams: [{ name: m, type: mock }, { name: o, type: openai, targets: [{ url: "https://api.openai.com" }] }]
routes: [{ name: chat, match: { path: /x }, upstream: m, fallback: ${fallback} }]
`;
    expect(findingsOf("route.public-ai", yaml("[]"))).toEqual([]);
    expect(findingsOf("route.public-ai", yaml("[o]"))).toHaveLength(1);
  });

  it("consumer.unreachable: any consumer is reachable through a jwt provider; a defaultConsumer through keys of undeclared consumers", () => {
    const jwt = `version: 1
auth: [{ name: corp, type: jwt, audience: aigw, algorithms: [RS256], jwks: { url: "https://login.example.com/jwks.json" } }]
consumers: [{ name: anyone }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, auth: [corp], upstream: s }]
`;
    expect(findingsOf("consumer.unreachable", jwt)).toEqual([]);
    const keys = (consumer: string): string => `version: 1
auth: [{ name: keys, type: apiKey, defaultConsumer: fallback, keys: [{ id: k, consumer: ${consumer}, sha256: "${keyHash}" }] }]
consumers: [{ name: fallback }, { name: team }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, auth: [keys], upstream: s }]
`;
    expect(findingsOf("consumer.unreachable", keys("someone-else")).map((f) => f.message)).toEqual([
      'consumer "team" is never identified: no auth provider used by a route maps a caller to it, so its policies never apply',
    ]);
    expect(findingsOf("consumer.unreachable", keys("team")).map((f) => /consumer "([^"]+)"/.exec(f.message)![1])).toEqual(["fallback"]);
  });

  it("budget.on-error-allow: the default onError is allow; deny is quiet", () => {
    const yaml = (onError: string): string => `version: 1
state: { redis: { url: "redis://r.internal:6379"${onError} } }
consumers: [{ name: c, budget: { usd: 1 } }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, upstream: s }]
`;
    expect(findingsOf("budget.on-error-allow", yaml("")).map((f) => f.message)).toEqual([
      "1 consumer has a budget, but `onError: allow` (the default) lets requests through unmetered while Redis is unreachable",
    ]);
    expect(findingsOf("budget.on-error-allow", yaml(", onError: deny"))).toEqual([]);
  });

  it("config.inline-secret: references, defaults, URLs, hashes and UUIDs", () => {
    const yaml = (value: string, field = "apiKey"): string => `version: 1
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }], credentials: { ${field}: ${value} } }]
routes: [{ name: r, upstream: s }]
`;
    const n = (y: string): number => findingsOf("config.inline-secret", y).length;
    expect(n(yaml('"${S_KEY:-}"'))).toBe(0);
    expect(n(yaml('"${S_KEY:-dev-key-123}"'))).toBe(1); // a default is written in the file
    expect(n(yaml('"Bearer ${S_KEY}"'))).toBe(0);
    const redis = (url: string): string => `version: 1
state: { redis: { url: "${url}", onError: deny } }
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, upstream: s }]
`;
    expect(n(redis("redis://r.internal:6379/0"))).toBe(0);
    expect(n(redis("redis://:${REDIS_PASSWORD}@r.internal:6379"))).toBe(0);
    expect(n(redis("redis://user:hunter2@r.internal:6379"))).toBe(1);
    const anywhere = (value: string): string => `version: 1
consumers: [{ name: "${value}" }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, upstream: s }]
`;
    expect(n(anywhere("6f1c2a9e-3b7d-4e58-9a2f-0c8d1e4b7a63"))).toBe(0); // a UUID
    expect(n(anywhere("AKIAIOSFODNN7EXAMPLE"))).toBe(1);
    expect(n(anywhere("Zx81LqP0mWv3RtYb7NcK2dHf9GjS4aUe1Qw"))).toBe(1); // random-looking token
    // sha256 fields are hashes, safe to commit.
    expect(
      n(`version: 1
auth: [{ name: keys, type: apiKey, keys: [{ id: k, consumer: c, sha256: "${keyHash}" }] }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, auth: [keys], upstream: s }]
`),
    ).toBe(0);
  });

  it("config.inline-secret: a PEM public key is safe to commit, a private key is not", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = (key: KeyObject, type: "spki" | "pkcs8"): string => key.export({ type, format: "pem" }).toString();
    const yaml = (value: string, where: "publicKey" | "consumer"): string => `version: 1
auth:
  - name: corp
    type: jwt
    algorithms: [RS256]
    publicKey: ${where === "publicKey" ? JSON.stringify(value) : JSON.stringify(pem(publicKey, "spki"))}
consumers: [{ name: c, scopes: [${where === "consumer" ? JSON.stringify(value) : "x"}] }]
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }] }]
routes: [{ name: r, auth: [corp], upstream: s }]
`;
    expect(findingsOf("config.inline-secret", yaml(pem(publicKey, "spki"), "publicKey"))).toEqual([]);
    const [f] = findingsOf("config.inline-secret", yaml(pem(privateKey, "pkcs8"), "consumer"));
    expect(f?.message).toBe("consumers[0].scopes[0] holds what looks like a private key");
  });

  it("upstream.retries.no-budget and upstream.no-timeouts stay quiet on defaults", () => {
    const yaml = `version: 1
upstreams: [{ name: s, type: http, targets: [{ url: "http://s.internal" }], retries: { attempts: 3 } }]
routes: [{ name: r, upstream: s }]
`;
    expect(findingsOf("upstream.retries.no-budget", yaml)).toEqual([]);
    expect(findingsOf("upstream.no-timeouts", yaml)).toEqual([]);
  });

  it("route.cache.nondeterministic: embeddings are deterministic, force is explicit", () => {
    const yaml = (path: string, cache: string): string => `version: 1
upstreams: [{ name: ai, type: mock }]
routes: [{ name: r, match: { path: ${path} }, upstream: ai, cache: ${cache} }]
`;
    expect(findingsOf("route.cache.nondeterministic", yaml("/v1/embeddings", "{ ttl: 1h }"))).toEqual([]);
    expect(findingsOf("route.cache.nondeterministic", yaml("/v1/chat/completions", "{ ttl: 1h, force: true }"))).toEqual([]);
    expect(findingsOf("route.cache.nondeterministic", yaml("/v1/chat/completions", "{ ttl: 1h }"))).toHaveLength(1);
  });
});
