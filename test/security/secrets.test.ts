/**
 * Issue 23, item 5: secrets are redacted by provenance, not by name.
 *
 * The attack: a route sets `authorization: "Basic ${X}"`, with `X` a
 * variable whose name looks harmless. The canonical form redacted only
 * values of variables named like secrets (`*KEY*`, `*TOKEN*`, ...) and
 * fields the schema marks secret, so `plan --format markdown` posted the
 * credential into the pull request's comment, and `/admin/config`, `diff`,
 * the findings of a failed reload and its log lines printed it too.
 *
 * Now interpolation records every string a `${VAR}` or `${VAR:-default}`
 * produced (its value and the JSON pointers of the config values holding
 * it, following aliases and merge keys). The canonical form (`/admin/config`,
 * `diff`, `plan`, the reload summary) shows each such value whole as
 * `<redacted:8 hex>`, and so every value under a credential-like header or
 * plugin-config name. The same secret prints the same digest, a rotated
 * one prints a change, and the config hash changes with it. Findings and
 * reload logs never quote a value from the environment; `routes` and
 * `explain` are scrubbed too. Numbers and booleans from `${}` stay visible:
 * they are limits and switches, which a plan must show.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import pino from "pino";
import YAML from "yaml";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/deps.js";
import { SnapshotBuilder } from "../../src/reload/builder.js";
import { Reloader } from "../../src/reload/reloader.js";
import { gatewayTarget } from "../../src/server/gateway-serve-target.js";
import { serve, type ServingGateway } from "../../src/server/serve.js";
import { build } from "../helpers/build.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { runCli } from "../helpers/io.js";

/** The credential: a password, sent as HTTP Basic (base64 of user:password) from a variable with a harmless name. */
const PASSWORD = "hunter2-Fz9qW-correct-horse";
const X = Buffer.from(`svc-reader:${PASSWORD}`).toString("base64");
const ROTATED_PASSWORD = "tr0ub4dor-Kx7-battery-staple";
const ROTATED_X = Buffer.from(`svc-reader:${ROTATED_PASSWORD}`).toString("base64");
const ADMIN_TOKEN = "admin-token-for-secrets-test-42";

/** `<redacted:…>` as the canonical form prints `value`: the first 8 hex digits of its sha256. */
const digest = (value: string): string => `<redacted:${createHash("sha256").update(value).digest("hex").slice(0, 8)}>`;

/** Every form the credential could leak in: the password, its base64 (alone and as user:password), the header value. */
function leaksOf(password: string): string[] {
  const x = Buffer.from(`svc-reader:${password}`).toString("base64");
  return [password, Buffer.from(password).toString("base64"), x, `Basic ${x}`];
}

function expectClean(label: string, text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    expect(text.includes(s), `${label} printed ${JSON.stringify(s)}:\n${text.slice(0, 2000)}`).toBe(false);
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) expect(text.includes(escaped), `${label} printed ${JSON.stringify(s)} (JSON-escaped)`).toBe(false);
  }
}

const root = mkdtempSync(join(tmpdir(), "aigw-secrets-"));
const upstreams: FakeUpstream[] = [];
let serving: ServingGateway | undefined;

afterEach(async () => {
  await serving?.stop();
  serving = undefined;
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The reproduction: `reports` sends the credential upstream; `old` is the same config before it was added. */
function reproduction(upstreamUrl = "http://127.0.0.1:9", options: { old?: boolean; extraRoutes?: string } = {}): string {
  return `version: 1
server:
  listen: "127.0.0.1:0"
  admin: "127.0.0.1:0"
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  adminAuth: { tokens: [{ id: ci, value: "\${ADMIN_TOKEN}", role: operator }] }
upstreams:
  - { name: reports-api, type: http, targets: [{ url: "${upstreamUrl}" }] }
routes:
  - name: reports
    match: { pathPrefix: /reports }
    upstream: reports-api
${options.old === true ? "" : `    headers:\n      request:\n        set: { authorization: "Basic \${X}" }\n`}${options.extraRoutes ?? ""}`;
}

/** `serve()` in-process from a file (its own folder), with its log lines. */
async function serveHere(text: string, env: Record<string, string>, files: Record<string, string> = {}): Promise<{ serving: ServingGateway; logs: Record<string, unknown>[]; file: string }> {
  const dir = mkdtempSync(join(root, "serve-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, text);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const started = await serve({
    config: file,
    cwd: dir,
    env,
    readFile: (f) => readFile(f, "utf8"),
    logger: pino({ level: "info" }, sink),
    clock: systemClock,
    random: Math.random,
    watch: false,
    worker: false,
  });
  expect(started.first.result, JSON.stringify(started.first.findings)).toBe("success");
  serving = started.serving!;
  return { serving, logs, file };
}

async function adminConfig(s: ServingGateway): Promise<{ text: string; body: { hash: string; config: Record<string, any> } }> {
  const res = await fetch(`${s.adminUrl}/admin/config`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, body: JSON.parse(text) as { hash: string; config: Record<string, any> } };
}

interface PlanJson {
  summary: { add: number; change: number; remove: number };
  changes: { kind: string; name: string; action: string; fields: { path: string; before: unknown; after: unknown }[] }[];
}

describe("the reproduction: headers.request.set: {authorization: \"Basic ${X}\"}", () => {
  const env = { X, ADMIN_TOKEN };
  const files = { "old.yaml": reproduction(undefined, { old: true }), "new.yaml": reproduction() };

  it.each([
    ["plan", ["plan", "new.yaml", "--against", "old.yaml"]],
    ["plan json", ["plan", "new.yaml", "--against", "old.yaml", "--format", "json"]],
    ["plan markdown (the PR comment)", ["plan", "new.yaml", "--against", "old.yaml", "--format", "markdown"]],
    ["diff", ["diff", "old.yaml", "new.yaml"]],
    ["diff json", ["diff", "old.yaml", "new.yaml", "--format", "json"]],
    ["diff markdown", ["diff", "old.yaml", "new.yaml", "--format", "markdown"]],
  ])("%s shows the header's change as <redacted:hash>, never the credential or its base64", async (label, argv) => {
    const r = await runCli(argv, { env, files });
    expect(r.code, r.stderr).toBe(0);
    expectClean(label, r.stdout + r.stderr, leaksOf(PASSWORD));
    expect(r.stdout).toContain(digest(`Basic ${X}`));
  });

  it("/admin/config of a running gateway (serve) shows <redacted:hash>, while the upstream still gets the credential", async () => {
    const up = await new FakeUpstream().start();
    upstreams.push(up);
    const { serving: s, logs } = await serveHere(reproduction(up.url), env);
    const { text, body } = await adminConfig(s);
    expectClean("/admin/config", text, leaksOf(PASSWORD));
    expect(body.config.routes[0].headers.request.set.authorization).toBe(digest(`Basic ${X}`));

    const res = await fetch(`${s.dataUrl}/reports/q1`);
    expect(res.status).toBe(200);
    expect(up.last.headers.authorization).toBe(`Basic ${X}`);
    expectClean("/admin/reloads", await (await fetch(`${s.adminUrl}/admin/reloads`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text(), leaksOf(PASSWORD));
    expectClean("logs", JSON.stringify(logs), leaksOf(PASSWORD));
  });
});

describe("a secret's digest", () => {
  it("is the same wherever the same secret is used, and differs for another secret", () => {
    const text = reproduction(undefined, {
      extraRoutes: `  - name: reports-v2
    match: { pathPrefix: /v2/reports }
    upstream: reports-api
    headers: { request: { set: { authorization: "Basic \${X}" } } }
  - name: exports
    match: { pathPrefix: /exports }
    upstream: reports-api
    headers: { request: { set: { authorization: "Basic \${Y}" } } }
`,
    });
    const result = build(text, { env: { X, Y: ROTATED_X, ADMIN_TOKEN }, mode: "serve" });
    expect(result.snapshot, JSON.stringify(result.diagnostics)).toBeDefined();
    const routes = result.snapshot!.canonical.routes as { name: string; headers: { request: { set: { authorization: string } } } }[];
    const shown = Object.fromEntries(routes.map((r) => [r.name, r.headers.request.set.authorization]));
    expect(shown).toEqual({ reports: digest(`Basic ${X}`), "reports-v2": digest(`Basic ${X}`), exports: digest(`Basic ${ROTATED_X}`) });
    expect(shown.reports).not.toBe(shown.exports);
  });

  it("the config hash changes with the secret, and only with it", () => {
    const hash = (x: string) => {
      const r = build(reproduction(), { env: { X: x, ADMIN_TOKEN }, mode: "serve" });
      expect(r.snapshot, JSON.stringify(r.diagnostics)).toBeDefined();
      return r.snapshot!.hash;
    };
    expect(hash(X)).toBe(hash(X));
    expect(hash(ROTATED_X)).not.toBe(hash(X));
    // A secret one character longer, or differing in its last character only.
    expect(hash(`${X}A`)).not.toBe(hash(X));
    expect(hash(X.slice(0, -1) + (X.endsWith("A") ? "B" : "A"))).not.toBe(hash(X));
  });
});

describe("plan --against a running gateway (its admin URL)", () => {
  it("shows a rotated secret as a change of digest, the same secret as no change, and prints neither", async () => {
    const { serving: s } = await serveHere(reproduction(), { X, ADMIN_TOKEN });
    const files = { "gateway.yaml": reproduction() };
    const plan = (x: string, format: string) =>
      runCli(["plan", "gateway.yaml", "--against", s.adminUrl, "--token", ADMIN_TOKEN, "--format", format, "--detailed-exitcode"], { env: { X: x }, files });
    const secrets = [...leaksOf(PASSWORD), ...leaksOf(ROTATED_PASSWORD), ADMIN_TOKEN];

    const rotated = await plan(ROTATED_X, "json");
    expect(rotated.code, rotated.stderr).toBe(2);
    expectClean("plan json (rotated)", rotated.stdout + rotated.stderr, secrets);
    const body = JSON.parse(rotated.stdout) as PlanJson;
    expect(body.summary.change).toBe(1);
    const change = body.changes.find((c) => c.kind === "route" && c.name === "reports")!;
    expect(change.action).toBe("change");
    expect(JSON.stringify(change.fields)).toContain(digest(`Basic ${X}`));
    expect(JSON.stringify(change.fields)).toContain(digest(`Basic ${ROTATED_X}`));
    for (const format of ["text", "markdown"]) {
      const r = await plan(ROTATED_X, format);
      expect(r.code).toBe(2);
      expectClean(`plan ${format} (rotated)`, r.stdout + r.stderr, secrets);
    }

    const same = await plan(X, "json");
    expect(same.code, same.stdout).toBe(0);
    expect((JSON.parse(same.stdout) as PlanJson).summary).toMatchObject({ add: 0, change: 0, remove: 0 });
    expectClean("plan json (same)", same.stdout + same.stderr, secrets);

    // In CI the variable is unset: the template `Basic ${X}` stands for any value, so it is no change either.
    const unset = await runCli(["plan", "gateway.yaml", "--against", s.adminUrl, "--token", ADMIN_TOKEN, "--format", "json", "--detailed-exitcode"], { env: {}, files });
    expect(unset.code, unset.stdout).toBe(0);
    expect((JSON.parse(unset.stdout) as PlanJson).summary).toMatchObject({ add: 0, change: 0, remove: 0 });
  });

  it("numbers and booleans from ${} stay visible: a raised limit is shown as such", async () => {
    const text = (limit: string) => `${reproduction()}rateLimits:\n  - name: rpm\n    limit: ${limit}\n    window: 1m\n    key: global\n`;
    const r = await runCli(["plan", "new.yaml", "--against", "old.yaml", "--format", "json"], {
      env: { X, ADMIN_TOKEN, RPM: "250" },
      files: { "old.yaml": text("100"), "new.yaml": text("${RPM}") },
    });
    expect(r.code, r.stderr).toBe(0);
    const change = (JSON.parse(r.stdout) as PlanJson).changes.find((c) => c.kind === "rateLimit")!;
    expect(change.fields).toContainEqual(expect.objectContaining({ path: "limit", before: 100, after: 250 }));
  });
});

describe("findings and reloads that fail on a value from the environment", () => {
  /** TEAM's value: harmless-looking, quoted by any finding about where it lands. */
  const TEAM = "reporting-7Hq2-emea";
  const env = { X, ADMIN_TOKEN, TEAM };
  const running = reproduction().replace(`set: { authorization: "Basic \${X}" }`, `set: { authorization: "Basic \${X}", x-team: "\${TEAM}" }`);
  /** Each lands TEAM where it is invalid (a duration; an upstream name), or where a plugin's create() quotes it in its error. */
  const failing: [string, string, string][] = [
    ["a duration", `${reproduction()}rateLimits:\n  - { name: rpm, limit: 10, window: "\${TEAM}", key: global }\n`, "schema.duration"],
    ["an upstream reference", reproduction().replace("upstream: reports-api\n    headers", "upstream: \"${TEAM}\"\n    headers"), "route.upstream.unknown"],
  ];
  const PLUGIN = `export default {
  name: "quoter",
  schema: { type: "object" },
  create(config) { throw new Error("cannot reach team " + config.team + " at " + config.team + ".internal"); },
};
`;

  it("validate prints no value in text, json, github, sarif, or --strict", async () => {
    for (const [what, text, rule] of failing) {
      for (const format of ["text", "json", "github", "sarif"]) {
        for (const strict of [[], ["--strict"]]) {
          const r = await runCli(["validate", "gateway.yaml", "--format", format, ...strict], { env, files: { "gateway.yaml": text } });
          expect(r.code, `${what} ${format}: ${r.stdout}${r.stderr}`).toBe(1);
          expect(r.stdout).toContain(rule);
          expectClean(`validate ${[format, ...strict].join(" ")} (${what})`, r.stdout + r.stderr, [TEAM, ...leaksOf(PASSWORD)]);
        }
      }
    }
  });

  it("a reload that fails on it: neither the 422 answer of POST /admin/reload, /admin/reloads nor the logs quote it", async () => {
    const { serving: s, logs, file } = await serveHere(running, env, { "quoter.mjs": PLUGIN });
    const before = (await adminConfig(s)).body.hash;
    const cases: [string, string, string | null][] = [
      ...failing,
      [
        "a plugin's start-up error",
        running.replace("    headers:\n", `    plugins: [{ name: quoter, module: ./quoter.mjs, config: { team: "\${TEAM}" } }]\n    headers:\n`),
        null,
      ],
    ];
    for (const [what, text, rule] of cases) {
      writeFileSync(file, text);
      const res = await fetch(`${s.adminUrl}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const answer = await res.text();
      expect(res.status, `${what}: ${answer}`).toBe(422);
      if (rule !== null) expect(answer).toContain(rule);
      else expect(answer).toContain("cannot reach team");
      expectClean(`POST /admin/reload (${what})`, answer, [TEAM, ...leaksOf(PASSWORD)]);
    }
    const history = await (await fetch(`${s.adminUrl}/admin/reloads`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect((JSON.parse(history) as { reloads: { result: string }[] }).reloads.filter((r) => r.result === "failure")).toHaveLength(3);
    expectClean("/admin/reloads", history, [TEAM, ...leaksOf(PASSWORD)]);
    const all = JSON.stringify(logs);
    expect(all).toContain("schema.duration");
    expect(all).toContain("cannot reach team");
    expectClean("logs", all, [TEAM, ...leaksOf(PASSWORD)]);
    expect((await adminConfig(s)).body.hash).toBe(before);
  });
});

describe("provenance through YAML anchors, aliases and merge keys", () => {
  const NOTE = "note-for-partner-Qz81";
  const BASEPATH = "tenant-5521-path";
  const TENANT = "acme-tenant-77";
  const text = `version: 1
upstreams:
  - &up { name: svc, type: http, targets: [{ url: "http://127.0.0.1:9/\${BASEPATH}" }] }
  - { <<: *up, name: svc-copy }
routes:
  - &a
    name: a
    match: &m { host: "\${TENANT}.example.com", pathPrefix: /a }
    upstream: svc
    headers: &h { request: { set: { x-trace-note: "\${NOTE}" } } }
  - name: b
    match: { <<: *m, pathPrefix: /b }
    upstream: svc-copy
    headers: *h
  - <<: *a
    name: c
    match: { pathPrefix: /c }
`;
  const env = { NOTE, BASEPATH, TENANT };
  const values = [NOTE, BASEPATH, TENANT];

  it("redacts the value at every place an alias or a merge copies it to", () => {
    const result = build(text, { env });
    expect(result.snapshot, JSON.stringify(result.diagnostics)).toBeDefined();
    const canonical = result.snapshot!.canonical as Record<string, any>;
    expectClean("canonical", JSON.stringify(canonical), values);
    expect(canonical.routes.map((r: any) => [r.name, r.match.host ?? null, r.headers.request.set["x-trace-note"]])).toEqual([
      ["a", digest(`${TENANT}.example.com`), digest(NOTE)],
      ["b", digest(`${TENANT}.example.com`), digest(NOTE)],
      ["c", null, digest(NOTE)],
    ]);
    const url = digest(`http://127.0.0.1:9/${BASEPATH}`);
    expect(canonical.upstreams.map((u: any) => [u.name, u.targets[0].url])).toEqual([
      ["svc", url],
      ["svc-copy", url],
    ]);
  });

  it.each([
    ["plan markdown", ["plan", "gateway.yaml", "--against", "old.yaml", "--format", "markdown"], 0],
    ["diff json", ["diff", "old.yaml", "gateway.yaml", "--format", "json"], 0],
    ["routes", ["routes", "gateway.yaml"], 0],
    ["routes json", ["routes", "gateway.yaml", "--format", "json"], 0],
    // No host header: no route matches, and the trace says why route a did not.
    ["explain", ["explain", "gateway.yaml", "--path", "/a/x"], 1],
    ["explain json", ["explain", "gateway.yaml", "--path", "/a/x", "--format", "json"], 1],
  ] as [string, string[], number][])("%s prints none of them", async (label, argv, code) => {
    const r = await runCli(argv, { env, files: { "gateway.yaml": text, "old.yaml": "version: 1\n" } });
    expect(r.code, r.stdout + r.stderr).toBe(code);
    expectClean(label, r.stdout + r.stderr, values);
  });
});

describe("literal values under credential-like names", () => {
  const LITERALS = {
    authorization: "Basic bGl0ZXJhbDpjcmVkZW50aWFs",
    apiKey: "lit-x-api-key-8841",
    matchToken: "lit-tenant-token-3310",
    pluginAuth: "Bearer lit-plugin-cred-7702",
    cookie: "session=lit-cookie-5151",
  };
  const text = (upstreamUrl: string) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 }, adminAuth: { tokens: [{ value: "\${ADMIN_TOKEN}", role: viewer }] } }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${upstreamUrl}" }] }
routes:
  - name: r
    match: { pathPrefix: /r, headers: { x-tenant-token: "${LITERALS.matchToken}" } }
    upstream: svc
    headers:
      request:
        set: { authorization: "${LITERALS.authorization}", x-api-key: "${LITERALS.apiKey}", x-plain: visible-value }
        add: { cookie: "${LITERALS.cookie}" }
    plugins:
      - { name: request-headers, config: { set: { proxy-authorization: "${LITERALS.pluginAuth}", x-also-plain: visible-too } } }
`;

  it("are redacted in plan (every format) and in /admin/config; other values stay readable", async () => {
    const secrets = Object.values(LITERALS);
    for (const format of ["text", "json", "markdown"]) {
      const r = await runCli(["plan", "gateway.yaml", "--against", "old.yaml", "--format", format], {
        env: { ADMIN_TOKEN },
        files: { "gateway.yaml": text("http://127.0.0.1:9"), "old.yaml": "version: 1\n" },
      });
      expect(r.code, r.stderr).toBe(0);
      expectClean(`plan ${format}`, r.stdout + r.stderr, secrets);
      expect(r.stdout).toContain(digest(LITERALS.authorization));
      if (format === "json") expect(r.stdout).toContain("visible-value");
    }

    const up = await new FakeUpstream().start();
    upstreams.push(up);
    const { serving: s } = await serveHere(text(up.url), { ADMIN_TOKEN });
    const { text: shown, body } = await adminConfig(s);
    expectClean("/admin/config", shown, secrets);
    const route = body.config.routes[0];
    expect(route.headers.request.set).toEqual({ authorization: digest(LITERALS.authorization), "x-api-key": digest(LITERALS.apiKey), "x-plain": "visible-value" });
    expect(route.headers.request.add).toEqual({ cookie: digest(LITERALS.cookie) });
    expect(route.match.headers).toEqual({ "x-tenant-token": digest(LITERALS.matchToken) });
    expect(route.plugins[0].config.set).toEqual({ "proxy-authorization": digest(LITERALS.pluginAuth), "x-also-plain": "visible-too" });
    // Redacted in what is shown only: the gateway still matches and sends the literals.
    const res = await fetch(`${s.dataUrl}/r/x`, { headers: { "x-tenant-token": LITERALS.matchToken } });
    expect(res.status).toBe(200);
    expect(up.last.headers.authorization).toBe(LITERALS.authorization);
    expect(up.last.headers["x-api-key"]).toBe(LITERALS.apiKey);
  });
});

/* ---------------------------------------------------------------------------------------------
 * Property: a random secret at random string positions of a config appears in no output.
 * ------------------------------------------------------------------------------------------- */

type Config = Record<string, any>;
const S = "${S}";

function propertyBase(): Config {
  return {
    version: 1,
    server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } },
    auth: [{ name: "keys", type: "apiKey", keys: [{ id: "k1", consumer: "team-a", sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }] }],
    consumers: [{ name: "team-a", scopes: ["chat"], models: ["gpt-*"], rateLimits: ["per-consumer"] }],
    rateLimits: [{ name: "per-consumer", limit: 100, window: "1m", key: "consumer" }],
    upstreams: [
      { name: "svc", type: "http", targets: [{ url: "http://127.0.0.1:9" }] },
      { name: "openai", type: "openai", targets: [{ url: "http://127.0.0.1:9" }], credentials: { apiKey: "${OPENAI_API_KEY}" }, models: ["gpt-4o"] },
    ],
    routes: [
      { name: "chat", match: { path: "/v1/chat/completions", model: "gpt-*" }, auth: ["keys"], upstream: "openai" },
      { name: "svc", match: { pathPrefix: "/svc" }, upstream: "svc" },
    ],
    pricing: [{ model: "gpt-4o*", input: 2.5, output: 10 }],
  };
}

const rules = (route: Config, side: "request" | "response"): Config => ((route.headers ??= {})[side] ??= {});
const plugins = (route: Config): Config[] => (route.plugins ??= []);

/** Where the secret may land: each puts `${S}` into one string of the config. */
const POSITIONS: [string, (c: Config) => void][] = [
  ["route header set", (c) => void ((rules(c.routes[1], "request").set ??= {})["x-forwarded-note"] = S)],
  ["route header add", (c) => void ((rules(c.routes[1], "response").add ??= {})["x-served-by"] = `node-${S}`)],
  ["route header remove", (c) => void (rules(c.routes[0], "request").remove = [S])],
  ["match header", (c) => void (c.routes[1].match.headers = { "x-tenant": S })],
  ["match path", (c) => void (c.routes[1].match = { path: `/svc/${S}` })],
  ["match pathPrefix", (c) => void (c.routes[1].match.pathPrefix = `/svc-${S}`)],
  ["match host", (c) => void (c.routes[1].match.host = `${S}.example.com`)],
  ["match model", (c) => void (c.routes[0].match.model = ["gpt-*", `${S}-*`])],
  ["upstream url path", (c) => void (c.upstreams[0].targets[0].url = `http://127.0.0.1:9/${S}`)],
  ["upstream url host", (c) => void c.upstreams[0].targets.push({ url: `http://${S}.internal:8080` })],
  ["upstream models", (c) => void (c.upstreams[1].models = ["gpt-4o", S])],
  ["upstream credential header", (c) => void (c.upstreams[1].credentials.header = S)],
  ["mock reply", (c) => void c.upstreams.push({ name: "m", type: "mock", mock: { reply: S } })],
  ["request-headers plugin", (c) => void plugins(c.routes[1]).push({ name: "request-headers", config: { set: { "x-note": S } } })],
  ["gateway response-headers plugin", (c) => void (c.gateway = { plugins: [{ name: "response-headers", config: { set: { "x-gw": S } } }] })],
  ["prompt-guard pattern", (c) => void plugins(c.routes[0]).push({ name: "prompt-guard", config: { policy: "block", patterns: [S] } })],
  ["required-headers plugin", (c) => void plugins(c.routes[1]).push({ name: "required-headers", config: { headers: [S] } })],
  ["cors origin", (c) => void plugins(c.routes[1]).push({ name: "cors", config: { origins: [`https://${S}.example.com`] } })],
  ["rate-limit window", (c) => void (c.rateLimits[0].window = S)],
  ["rate-limit header key", (c) => void (c.rateLimits[0].key = `header:${S}`)],
  ["rate-limit claim key", (c) => void (c.rateLimits[0].key = `claim:${S}`)],
  ["rate-limit name", (c) => void (c.rateLimits[0].name = S)],
  ["pricing model", (c) => void (c.pricing[0].model = S)],
  ["consumer name", (c) => void (c.consumers[0].name = S)],
  ["consumer scopes", (c) => void (c.consumers[0].scopes = [S])],
  ["consumer models", (c) => void (c.consumers[0].models = [`${S}*`])],
  ["api key value", (c) => void c.auth[0].keys.push({ id: "k2", consumer: "team-a", value: S })],
  ["jwt provider", (c) => void c.auth.push({ name: "corp", type: "jwt", issuer: `https://${S}.example.com/`, audience: S, algorithms: ["HS256"], secret: `${S}-${S}-${S}` })],
  ["route upstream reference", (c) => void (c.routes[1].upstream = S)],
  ["route scopes", (c) => void (c.routes[0].scopes = [S])],
  ["route rewrite", (c) => void (c.routes[1].rewrite = { prefix: `/${S}` })],
];

/** A secret that no output would print by chance: a letter, then 11 to 27 characters that need no escaping in YAML or JSON. */
const secretArb = fc
  .tuple(
    fc.constantFrom(..."ghijkmnpqrstuvwxyzGHJKLMNPQRSTUVWXYZ"),
    fc.string({ unit: fc.constantFrom(..."abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_.~+/="), minLength: 11, maxLength: 27 }),
  )
  .map(([first, rest]) => first + rest);

/** 40 by default; AIGW_SECRET_RUNS=500 for a longer search. */
const RUNS = Number(process.env.AIGW_SECRET_RUNS ?? 40);

describe("property: a secret at random places of a random config appears in no output", () => {
  it("plan, diff, validate, routes, explain, the canonical form, findings, and a reload's logs and record", async () => {
    const dir = mkdtempSync(join(root, "property-"));
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const { target, gateway } = gatewayTarget({ clock: systemClock, logger, random: Math.random });
    const builder = new SnapshotBuilder({ inProcess: true });
    const OPENAI_API_KEY = "sk-property-openai-key-0000";
    const old = YAML.stringify(propertyBase());
    // A gateway to reload into: the base config first.
    const first = await new Reloader({ file: join(dir, "gateway.yaml"), baseDir: dir, env: { OPENAI_API_KEY }, readFile: async () => old, target, builder, logger, clock: systemClock }).reload("startup");
    expect(first.result, JSON.stringify(first.findings)).toBe("success");
    let runs = 0;
    const valid = { yes: 0, no: 0 };
    let applied = 0;

    try {
      await fc.assert(
        fc.asyncProperty(secretArb, fc.subarray(POSITIONS, { minLength: 1, maxLength: 4 }), async (secret, positions) => {
          runs++;
          const config = propertyBase();
          for (const [, put] of positions) put(config);
          const text = YAML.stringify(config);
          const env = { S: secret, OPENAI_API_KEY };
          const files = { "gateway.yaml": text, "old.yaml": old };
          const outputs: [string, string][] = [];
          const cli = async (label: string, argv: string[]) => {
            const r = await runCli(argv, { env, files });
            outputs.push([label, r.stdout + r.stderr]);
          };
          for (const format of ["text", "json", "markdown"]) {
            await cli(`plan ${format}`, ["plan", "gateway.yaml", "--against", "old.yaml", "--format", format]);
            await cli(`diff ${format}`, ["diff", "old.yaml", "gateway.yaml", "--format", format]);
          }
          for (const format of ["text", "json", "sarif", "github"]) await cli(`validate ${format}`, ["validate", "gateway.yaml", "--format", format]);
          await cli("validate --strict", ["validate", "--strict", "gateway.yaml", "--format", "json"]);
          for (const format of ["text", "json", "sarif"]) await cli(`lint ${format}`, ["lint", "gateway.yaml", "--format", format]);
          for (const format of ["text", "json"]) {
            await cli(`routes ${format}`, ["routes", "gateway.yaml", "--format", format]);
            await cli(`explain chat ${format}`, ["explain", "gateway.yaml", "--method", "POST", "--path", "/v1/chat/completions", "--model", "gpt-4o", "--header", "authorization: Bearer k", "--format", format]);
            await cli(`explain svc ${format}`, ["explain", "gateway.yaml", "--path", "/svc/x", "--header", "host: api.example.com", "--format", format]);
          }
          const built = build(text, { env, mode: "serve" });
          if (built.snapshot === undefined) valid.no++;
          else valid.yes++;
          outputs.push(["canonical form", JSON.stringify(built.snapshot?.canonical ?? null)]);
          outputs.push(["findings", JSON.stringify(built.diagnostics)]);

          const seen = lines.length;
          const reloader = new Reloader({ file: join(dir, "gateway.yaml"), baseDir: dir, env, readFile: async () => text, target, builder, logger, clock: systemClock });
          const record = await reloader.reload("admin");
          if (record.result === "success") applied++;
          outputs.push(["reload record", JSON.stringify(record)]);
          outputs.push(["reload history", JSON.stringify(reloader.history())]);
          outputs.push(["reload logs", lines.slice(seen).join("")]);

          const escaped = JSON.stringify(secret).slice(1, -1);
          for (const [label, out] of outputs) {
            if (out.includes(secret) || out.includes(escaped)) {
              throw new Error(`${label} printed the secret (positions: ${positions.map(([n]) => n).join(", ")}):\n${out.slice(Math.max(0, out.indexOf(secret) - 300), out.indexOf(secret) + 300)}`);
            }
          }
        }),
        { numRuns: RUNS },
      );
    } finally {
      await gateway()?.close();
      await builder.close();
    }
    expect(runs).toBeGreaterThanOrEqual(RUNS);
    // Both kinds of config were exercised: accepted ones (canonical form, a reload applied with its summary) and rejected ones (findings).
    expect(valid.yes).toBeGreaterThan(0);
    expect(valid.no).toBeGreaterThan(0);
    expect(applied).toBeGreaterThan(0);
  }, 180_000);
});
