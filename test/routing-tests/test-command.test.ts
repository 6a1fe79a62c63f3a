import { describe, expect, it } from "vitest";
import { escapeXml } from "../../src/routing-tests/xml.js";
import { runCli } from "../helpers/io.js";
import { findAll, parseXml } from "../helpers/xml.js";

const CONFIG = "test/fixtures/testing/gateway.yaml";
const CASES = "test/fixtures/testing/routing.yaml";
/** sha256("test-key-team-a") is in the fixture; never a real key. */
const env = { TEAM_A_KEY: "test-key-team-a" };

interface JsonReport {
  ok: boolean;
  summary: { total: number; passed: number; failed: number };
  coverage: Record<"routes" | "policies", { covered: number; total: number; percent: number; uncovered: string[] }>;
  failUnder: { threshold: number; ok: boolean } | null;
  cases: { name: string; line: number; ok: boolean; failures: { field: string; expected: unknown; actual: unknown; note?: string }[]; actual: Record<string, unknown> }[];
}

const test = (cases: string, args: string[] = [], extraEnv: Record<string, string> = {}) =>
  runCli(["test", CONFIG, "cases.yaml", ...args], { env: { ...env, ...extraEnv }, files: { "cases.yaml": cases } });

async function json(cases: string, args: string[] = []): Promise<{ code: number; report: JsonReport }> {
  const r = await test(cases, ["--format", "json", ...args]);
  expect(r.stderr).toBe("");
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
}

const gpt = `{ method: POST, path: /v1/chat/completions, model: gpt-4o, headers: { authorization: "Bearer \${TEAM_A_KEY}" }, body: { temperature: 0 } }`;

describe("aigw test: passing cases", () => {
  it("passes the fixture's cases with exit 0 and a runner-like report", async () => {
    const r = await runCli(["test", CONFIG, CASES], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${CASES} against ${CONFIG}`);
    expect(r.stdout).toContain("  ✓ gpt with team-a's API key goes to openai, falls back to claude then mock\n");
    expect(r.stdout).toContain("  ✓ an encoded slash is 400\n");
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toContain("Cases     8 passed, 0 failed (8)");
  });

  it("reports route and policy coverage with what is not covered", async () => {
    const r = await runCli(["test", CONFIG, CASES], { env });
    expect(r.stdout).toContain("Routes    3/4 covered (75.0%); not covered: reports");
    expect(r.stdout).toContain("Policies  3/4 covered (75.0%); not covered: tpm");
    const j = await runCli(["test", CONFIG, CASES, "--format", "json"], { env });
    const report = JSON.parse(j.stdout) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.summary).toEqual({ total: 8, passed: 8, failed: 0 });
    expect(report.coverage.routes).toEqual({ covered: 3, total: 4, percent: 75, uncovered: ["reports"] });
    expect(report.coverage.policies).toEqual({ covered: 3, total: 4, percent: 75, uncovered: ["tpm"] });
  });

  it("identifies the caller by an API key whose sha256 is in the config (from ${VAR} in the cases file)", async () => {
    const { code, report } = await json(`cases:\n  - name: key\n    request: ${gpt}\n    expect: { consumer: team-a, status: 200 }\n`);
    expect(code).toBe(0);
    expect(report.cases[0]!.actual).toMatchObject({ consumer: "team-a", status: 200 });
    // Another key: not in the config, so no identity.
    const other = await runCli(["test", CONFIG, "cases.yaml", "--format", "json"], {
      env: { TEAM_A_KEY: "not-a-key" },
      files: { "cases.yaml": `cases:\n  - name: key\n    request: ${gpt}\n    expect: { status: 200 }\n` },
    });
    expect(other.code).toBe(1);
    expect((JSON.parse(other.stdout) as JsonReport).cases[0]!.failures).toEqual([
      { field: "status", expected: 200, actual: 401, note: "no valid credentials for keys or corp" },
    ]);
  });

  it("identifies the caller by JWT claims: consumer claim and scopes", async () => {
    const cases = `cases:
  - name: scope from the token
    request: { method: POST, path: /v1/reports/q1, claims: { sub: bob, scope: "reports read" } }
    expect: { route: reports, status: 200, consumer: bob, rateLimits: [global] }
  - name: a scope list works too
    request: { method: GET, path: /v1/reports/q1, claims: { sub: bob, scope: [reports] } }
    expect: { route: reports, status: 200, consumer: bob }
  - name: no scope
    request: { method: GET, path: /v1/reports/q1, claims: { sub: bob } }
    expect: { route: reports, status: 403 }
`;
    const { code, report } = await json(cases);
    // The first case is a POST: reports takes GET only, so no route.
    expect(report.cases.map((c) => c.ok)).toEqual([false, true, true]);
    expect(report.cases[0]!.failures.map((f) => f.field)).toEqual(["route", "status", "consumer", "rateLimits"]);
    expect(code).toBe(1);
  });
});

describe("aigw test: failing cases", () => {
  it("exits 1 and prints expected and actual for every field that differs", async () => {
    const cases = `cases:
  - name: passes
    request: { path: /nope }
    expect: { status: 404 }
  - name: everything wrong
    request: ${gpt}
    expect:
      route: chat-default
      upstream: mock
      fallback: [mock, claude]
      status: 401
      auth: [keys]
      scopes: [chat, admin]
      consumer: team-b
      rateLimits: [per-route, global]
      cacheable: false
`;
    const r = await test(cases);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("  ✓ passes\n");
    expect(r.stdout).toContain("  ✗ everything wrong  cases.yaml:5:5\n");
    expect(r.stdout).toContain('      route\n        expected "chat-default"\n        actual   "chat-gpt"\n');
    expect(r.stdout).toContain('      fallback\n        expected ["mock","claude"]\n        actual   ["claude","mock"]\n');
    expect(r.stdout).toContain("      status\n        expected 401\n        actual   200  (forwarded)\n");
    expect(r.stdout).toContain("Cases     1 passed, 1 failed (2)");

    const { report } = await json(cases);
    expect(report.ok).toBe(false);
    expect(report.cases[1]!.failures).toEqual([
      { field: "route", expected: "chat-default", actual: "chat-gpt" },
      { field: "upstream", expected: "mock", actual: "openai" },
      { field: "fallback", expected: ["mock", "claude"], actual: ["claude", "mock"] },
      { field: "status", expected: 401, actual: 200, note: "forwarded" },
      { field: "auth", expected: ["keys"], actual: ["keys", "corp"] },
      { field: "scopes", expected: ["chat", "admin"], actual: ["chat"] },
      { field: "consumer", expected: "team-b", actual: "team-a" },
      { field: "rateLimits", expected: ["per-route", "global"], actual: ["per-route", "per-consumer", "global"] },
      { field: "cacheable", expected: false, actual: true },
    ]);
  });

  it("compares rateLimits as a set, and the resolved key when one is given", async () => {
    const ok = await json(`cases:\n  - name: order does not matter\n    request: ${gpt}\n    expect: { rateLimits: [global, per-consumer, per-route] }\n`);
    expect(ok.code).toBe(0);
    const bad = await json(
      `cases:\n  - name: keys\n    request: ${gpt}\n    expect: { rateLimits: [global, { policy: per-consumer, key: "consumer:team-b" }, { policy: per-route, key: "route:chat-gpt" }] }\n`,
    );
    expect(bad.code).toBe(1);
    expect(bad.report.cases[0]!.failures).toEqual([{ field: "rateLimits.per-consumer.key", expected: "consumer:team-b", actual: "consumer:team-a" }]);
  });

  it("says when an expectation names something the config does not declare", async () => {
    const { report } = await json(`cases:\n  - name: typo\n    request: ${gpt}\n    expect: { route: chat-gtp, rateLimits: [per-rout, global, per-consumer] }\n`);
    const [route, limits] = report.cases[0]!.failures;
    expect(route!.note).toBe(`${CONFIG} declares no route "chat-gtp"; did you mean "chat-gpt"?`);
    expect(limits!.note).toBe(`${CONFIG} declares no rate-limit policy "per-rout"; did you mean "per-route"?`);
  });

  it("checks null expectations: no route, anonymous caller", async () => {
    const { code, report } = await json(`cases:\n  - name: routed\n    request: ${gpt}\n    expect: { route: null, consumer: null, upstream: null }\n`);
    expect(code).toBe(1);
    expect(report.cases[0]!.failures).toEqual([
      { field: "route", expected: null, actual: "chat-gpt" },
      { field: "upstream", expected: null, actual: "openai" },
      { field: "consumer", expected: null, actual: "team-a" },
    ]);
  });
});

describe("aigw test: coverage threshold", () => {
  it("--fail-under passes at or below the route coverage and fails above it", async () => {
    expect((await runCli(["test", CONFIG, CASES, "--fail-under", "75"], { env })).code).toBe(0);
    expect((await runCli(["test", CONFIG, CASES, "--fail-under", "75%"], { env })).code).toBe(0);
    const r = await runCli(["test", CONFIG, CASES, "--fail-under", "80"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Cases     8 passed, 0 failed (8)");
    expect(r.stdout).toContain("Coverage  route coverage 75.0% is under --fail-under 80%");
    const j = await runCli(["test", CONFIG, CASES, "--fail-under", "80", "--format", "json"], { env });
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, failUnder: { threshold: 80, ok: false } });
  });

  it("rejects a threshold that is not a percentage (exit 2)", async () => {
    for (const bad of ["abc", "101", "-5"]) {
      const r = await runCli(["test", CONFIG, CASES, "--fail-under", bad], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--fail-under");
      expect(r.stdout).toBe("");
    }
  });
});

describe("aigw test: JUnit", () => {
  it("prints well-formed JUnit XML: one testsuite, one testcase per case, failures with expected/actual", async () => {
    const cases = `cases:
  - name: passes <&> "quoted" 'too'
    request: { path: /nope }
    expect: { status: 404 }
  - name: fails & says why
    request: ${gpt}
    expect: { route: "chat-<default>", status: 200 }
`;
    const r = await test(cases, ["--format", "junit", "--fail-under", "90"]);
    expect(r.code).toBe(1);
    const root = parseXml(r.stdout);
    expect(root.name).toBe("testsuites");
    const suites = findAll(root, "testsuite");
    expect(suites).toHaveLength(1);
    expect(suites[0]!.attrs).toMatchObject({ name: "cases.yaml", tests: "3", failures: "2", errors: "0" });
    const testcases = findAll(root, "testcase");
    expect(testcases.map((t) => t.attrs.name)).toEqual([`passes <&> "quoted" 'too'`, "fails & says why", "route coverage is at least 90%"]);
    expect(testcases[0]!.children).toEqual([]);
    const failure = findAll(testcases[1]!, "failure")[0]!;
    expect(failure.attrs.message).toBe("route differs");
    expect(failure.text).toBe('route: expected "chat-<default>", got "chat-gpt" (test/fixtures/testing/gateway.yaml declares no route "chat-<default>"; did you mean "chat-default"?)');
    expect(findAll(testcases[2]!, "failure")[0]!.attrs.message).toMatch(/^route coverage \d+\.\d% is under --fail-under 90%$/);
    const props = Object.fromEntries(findAll(root, "property").map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ config: CONFIG, "coverage.routes": "25.0%" });
  });

  it("passes with exit 0 when every case passes", async () => {
    const r = await runCli(["test", CONFIG, CASES, "--format", "junit"], { env });
    expect(r.code).toBe(0);
    const root = parseXml(r.stdout);
    expect(findAll(root, "testcase")).toHaveLength(8);
    expect(findAll(root, "failure")).toHaveLength(0);
  });

  it("escapes the five XML characters and drops characters XML cannot carry", () => {
    expect(escapeXml(`a<b>&"c"'d'\u0000\u001b\ud800e`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;e");
    expect(escapeXml("tab\tnl\ncr\r😀")).toBe("tab\tnl\ncr\r😀");
    expect(() => parseXml(`<a>${escapeXml("<&>\u0001")}</a>`)).not.toThrow();
    expect(() => parseXml("<a>x & y</a>")).toThrow(/not well-formed/);
    expect(() => parseXml("<a><b></a></b>")).toThrow(/not well-formed/);
  });

  it("reports an invalid config as one failing test case", async () => {
    const r = await runCli(["test", "bad.yaml", CASES, "--format", "junit"], {
      env,
      files: { "bad.yaml": "version: 1\nroutes:\n  - name: x\n    upstream: nope\n" },
    });
    expect(r.code).toBe(1);
    const failure = findAll(parseXml(r.stdout), "failure")[0]!;
    expect(failure.text).toContain("bad.yaml:4:15 error [route.upstream.unknown]");
  });
});

describe("aigw test: malformed input", () => {
  const malformed = async (cases: string): Promise<string> => {
    const r = await test(cases);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("aigw: cases.yaml is not a valid cases file:\n");
    return r.stderr;
  };

  it("points at YAML syntax errors", async () => {
    expect(await malformed("cases:\n  - name: x\n    request: { path: /a\n")).toMatch(/cases\.yaml:\d+:\d+ error \[yaml\.syntax\]/);
  });

  it("points at unknown keys with a suggestion, missing keys, wrong types and values", async () => {
    const err = await malformed(`cases:
  - name: one
    request: { path: /a, methd: GET }
    expect: { route: a }
  - name: two
    request: { method: GET }
    expect: { status: 418, cacheable: "yes" }
  - name: three
    request: { path: /a }
    expect: {}
  - name: four
    request: { path: /a }
    expect: { rateLimits: [global, 3] }
`);
    expect(err).toContain('cases.yaml:3:26 error [schema.unknown-key] unknown key "methd" in cases[0].request; did you mean "method"?');
    expect(err).toContain('cases.yaml:6:14 error [schema.required] cases[1].request is missing the required key "path"');
    expect(err).toContain("cases.yaml:7:23 error [schema.enum] cases[1].expect.status must be one of 200, 400, 401, 403, 404, got 418");
    expect(err).toContain("cases.yaml:7:39 error [schema.type] cases[1].expect.cacheable must be a boolean, got a string");
    expect(err).toContain("cases.yaml:10:13 error [schema.min-properties] cases[2].expect expects nothing");
    expect(err).toContain("cases.yaml:13:36 error [schema.type] cases[3].expect.rateLimits[1] must be a policy name or a mapping {policy, key}, got an integer");
  });

  it("rejects duplicate case names and an empty list", async () => {
    const dup = await malformed("cases:\n  - { name: a, request: { path: /a }, expect: { status: 404 } }\n  - { name: a, request: { path: /b }, expect: { status: 404 } }\n");
    expect(dup).toContain('cases.yaml:3:13 error [cases.name.duplicate] case name "a" is already used by the case at line 2');
    expect(await malformed("cases: []\n")).toContain("[schema.min-items] cases must not be empty");
    expect(await malformed("tests: []\n")).toContain("[schema.required]");
  });

  it("treats an unset ${VAR} without default as an error, and uses defaults", async () => {
    const cases = `cases:\n  - name: key\n    request: { path: /nope, headers: { x-api-key: "\${MISSING_KEY}" } }\n    expect: { status: 404 }\n`;
    const r = await runCli(["test", CONFIG, "cases.yaml"], { env: {}, files: { "cases.yaml": cases } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cases.yaml:3:51 error [config.env.unset] environment variable MISSING_KEY is not set");
    const withDefault = cases.replace("${MISSING_KEY}", "${MISSING_KEY:-x}");
    expect((await runCli(["test", CONFIG, "cases.yaml"], { env: {}, files: { "cases.yaml": withDefault } })).code).toBe(0);
  });

  it("exits 2 for a missing cases file and 1 with findings for an invalid config", async () => {
    const missing = await runCli(["test", CONFIG, "nope.yaml"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read nope.yaml: no such file");
    const invalid = await runCli(["test", "bad.yaml", CASES], { env, files: { "bad.yaml": "version: 2\n" } });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("bad.yaml:1:10 error");
  });
});

describe("the DESIGN.md 10 example", () => {
  it("parses as written (a multi-line flow mapping) and passes against a matching config", async () => {
    const config = `version: 1
auth:
  - name: keys
    type: apiKey
    keys: [{ id: team-a-1, consumer: team-a, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }]
consumers:
  - { name: team-a, scopes: [chat], rateLimits: [per-consumer] }
rateLimits:
  - { name: per-consumer, algorithm: token_bucket, limit: 100, window: 1m, key: consumer }
  - { name: global, algorithm: token_bucket, limit: 5000, window: 1s, key: global }
gateway:
  rateLimits: [global]
upstreams:
  - { name: openai, type: openai, targets: [{ url: "https://api.openai.com" }] }
  - { name: claude, type: anthropic, targets: [{ url: "https://api.anthropic.com" }] }
routes:
  - name: chat-openai
    match: { path: /v1/chat/completions, methods: [POST], model: "gpt-*" }
    auth: [keys]
    scopes: [chat]
    rateLimits: [per-consumer]
    upstream: openai
    fallback: [claude]
`;
    const cases = `cases:
  - name: gpt goes to openai
    request: { method: POST, path: /v1/chat/completions, model: gpt-4o,
               headers: { authorization: "Bearer \${TEAM_A_KEY}" }, claims: { sub: team-a } }
    expect: { route: chat-openai, upstream: openai, fallback: [claude], status: 200,
              rateLimits: [per-consumer, global] }
`;
    const r = await runCli(["test", "gateway.yaml", "cases.yaml"], { env: { TEAM_A_KEY: "test" }, files: { "gateway.yaml": config, "cases.yaml": cases } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("  ✓ gpt goes to openai\n");
    expect(r.code).toBe(0);
  });
});

describe("example cases file", () => {
  it("examples/tests/routing.yaml passes against examples/multi-tenant.yaml with full route coverage", async () => {
    const r = await runCli(["test", "examples/multi-tenant.yaml", "examples/tests/routing.yaml", "--fail-under", "100"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toContain("✗");
    expect(r.code).toBe(0);
  });
});
