import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { build, snapshotOf } from "../helpers/build.js";

const base = (extra = "") => `version: 1
upstreams:
  - name: openai
    type: openai
    targets: [{ url: https://api.openai.com }]
    credentials: { apiKey: "\${OPENAI_API_KEY}" }
rateLimits:
  - { name: rpm, limit: 10, window: 60s }
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: openai
    rateLimits: [rpm]
    headers: { request: { set: { x-upstream-token: "Bearer \${UPSTREAM_TOKEN}" } } }
${extra}`;

const env = { OPENAI_API_KEY: "sk-live-abcdefghijklmnop", UPSTREAM_TOKEN: "tok-1234567890" };

describe("canonical form and hash", () => {
  it("redacts schema-marked secrets and secret-looking variables wherever they appear", () => {
    const s = snapshotOf(base(), env);
    const text = JSON.stringify(s.canonical);
    expect(text).not.toContain("sk-live-abcdefghijklmnop");
    expect(text).not.toContain("tok-1234567890");
    expect(text).toMatch(/"apiKey":"<redacted:[0-9a-f]{8}>"/);
    // A value built partly from `${}` is redacted whole (security-secrets: secrets by provenance).
    expect(text).toMatch(/"x-upstream-token":"<redacted:[0-9a-f]{8}>"/);
    // ...but the runtime config keeps the real values.
    expect(s.config.upstreams?.[0]?.credentials?.apiKey).toBe("sk-live-abcdefghijklmnop");
  });

  it("changes the hash when a secret changes, without printing it", () => {
    const a = snapshotOf(base(), env);
    const b = snapshotOf(base(), { ...env, OPENAI_API_KEY: "sk-live-other-value-000" });
    expect(a.hash).not.toBe(b.hash);
  });

  it("fills defaults, sorts keys and normalises durations", () => {
    const s = snapshotOf(base(), env);
    const c = s.canonical as any;
    expect(Object.keys(c)).toEqual([...Object.keys(c)].sort());
    expect(c.server.listen).toBe("0.0.0.0:8080");
    expect(c.upstreams[0].retries).toEqual({ attempts: 1, backoffMs: 25, budgetRatio: 0.2, on: ["connect_error"] });
    expect(c.rateLimits[0].window).toBe("1m");
    expect(s.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("gives equal hashes to equal meanings: key order and duration spelling do not count", () => {
    const a = snapshotOf(base(), env);
    const reordered = base()
      .replace("{ name: rpm, limit: 10, window: 60s }", "{ window: 1m, limit: 10, name: rpm }")
      .replace("targets: [{ url: https://api.openai.com }]\n    credentials", "credentials")
      .replace('apiKey: "${OPENAI_API_KEY}" }', 'apiKey: "${OPENAI_API_KEY}" }\n    targets: [{ url: https://api.openai.com }]');
    const b = snapshotOf(reordered, env);
    expect(b.hash).toBe(a.hash);
  });

  it("gives different hashes when route order changes (order is meaningful)", () => {
    const two = base(`  - name: other
    match: { pathPrefix: /v1 }
    upstream: openai
`);
    const swapped = two.replace(/  - name: chat[\s\S]*?(?=  - name: other)/, "").replace(/(  - name: other[\s\S]*)$/, (m) => m + base().split("routes:\n")[1]);
    expect(snapshotOf(two, env).hash).not.toBe(snapshotOf(swapped, env).hash);
  });

  it("deep-freezes the snapshot", () => {
    const s = snapshotOf(base(), env);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.routes[0])).toBe(true);
    expect(Object.isFrozen(s.config.upstreams?.[0]?.credentials)).toBe(true);
    expect(() => {
      (s.routes as any).push({});
    }).toThrow(TypeError);
  });

  it("never prints a secret in a finding", () => {
    const r = build(
      `version: 1
upstreams:
  - { name: o, type: openai, targets: [{ url: https://api.openai.com }], credentials: { apiKey: "\${OPENAI_API_KEY}", bogus: "\${OPENAI_API_KEY}" } }
routes:
  - { name: r, upstream: o, timeoutMs: "\${OPENAI_API_KEY}" }
`,
      { env },
    );
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.diagnostics)).not.toContain(env.OPENAI_API_KEY);
  });
});

describe("interpolation", () => {
  it("re-types a plain scalar that is one expression, keeps quoted ones as strings", () => {
    const s = snapshotOf(
      `version: 1
upstreams: [{ name: m, type: mock }]
rateLimits:
  - name: p
    limit: \${LIMIT:-100}
    window: 1m
routes:
  - name: r
    upstream: m
    rateLimits: [p]
    timeoutMs: \${TIMEOUT}
`,
      { TIMEOUT: "2500" },
    );
    expect(s.policies.get("p")?.limit).toBe(100);
    expect(s.routes[0]?.timeoutMs).toBe(2500);
  });

  it("treats $${VAR} as a literal", () => {
    const s = snapshotOf(`version: 1
upstreams: [{ name: m, type: mock }]
routes:
  - name: r
    upstream: m
    headers: { request: { set: { x-literal: "$\${NOT_A_VAR}" } } }
`);
    expect(s.routes[0]?.requestHeaders?.set?.["x-literal"]).toBe("${NOT_A_VAR}");
  });

  it("checks an unset variable for type only in validate mode, and fails in serve mode", () => {
    const yaml = `version: 1
state:
  redis: { url: "\${REDIS_URL}" }
upstreams: [{ name: m, type: mock }]
routes: [{ name: r, upstream: m }]
`;
    const v = build(yaml);
    expect(v.snapshot).toBeDefined();
    expect(v.diagnostics.map((d) => [d.rule, d.severity])).toEqual([["config.env.unset", "warning"]]);
    const s = build(yaml, { mode: "serve" });
    expect(s.snapshot).toBeUndefined();
    expect(s.diagnostics.map((d) => [d.rule, d.severity, d.line])).toEqual([["config.env.unset", "error", 3]]);
  });
});

describe("generated types", () => {
  it("match the schema (run `npm run gen:types` after editing the schema)", () => {
    expect(() => execFileSync(process.execPath, ["scripts/gen-types.mjs", "--check"], { stdio: "pipe" })).not.toThrow();
  });
});
