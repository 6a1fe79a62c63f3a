import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/io.js";
import { startTestGateway } from "../helpers/gateway.js";

const SECRETS = {
  OPENAI_API_KEY: "sk-proj-SECRETVALUE0123456789abcdef",
  ANTHROPIC_API_KEY: "sk-ant-SECRETVALUE9876543210fedcba",
  TEAM_KEY: "team-key-SECRETVALUE-42424242",
  JWT_SECRET: "jwt-hmac-SECRETVALUE-that-is-32-bytes-long",
  ADMIN_TOKEN: "admin-SECRETVALUE-token-777777",
  REDIS_PASSWORD: "redis-SECRETVALUE-pw-55555",
};

const config = (upstreamName = "openai") => `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  adminAuth:
    tokens: [{ value: "\${ADMIN_TOKEN}", role: operator }]
state:
  redis: { url: "redis://:\${REDIS_PASSWORD}@127.0.0.1:1/0", onError: allow }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: team-a-1, consumer: team-a, value: "\${TEAM_KEY}" }]
  - name: hs
    type: jwt
    algorithms: [HS256]
    secret: "\${JWT_SECRET}"
consumers:
  - { name: team-a, rateLimits: [rpm] }
rateLimits:
  - { name: rpm, limit: 60, window: 1m }
upstreams:
  - name: ${upstreamName}
    type: openai
    targets: [{ url: "https://api.openai.com" }]
    credentials: { apiKey: "\${OPENAI_API_KEY}" }
    models: [gpt-4o]
  - name: claude
    type: anthropic
    targets: [{ url: "https://api.anthropic.com" }]
    credentials: { apiKey: "\${ANTHROPIC_API_KEY}" }
    models: [claude-sonnet-4-5]
routes:
  - name: chat
    match: { path: /v1/chat/completions, model: "gpt-*" }
    auth: [keys, hs]
    upstream: ${upstreamName}
    fallback: [claude]
    headers: { request: { set: { x-upstream-auth: "Bearer \${OPENAI_API_KEY}" } } }
pricing:
  - { model: "gpt-4o*", input: 2.5, output: 10 }
  - { model: "claude-*", input: 3, output: 15 }
`;

function expectClean(label: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(text.includes(value), `${label} printed ${name}`).toBe(false);
    // Secrets must not leak in parts either (e.g. JSON-escaped or split).
    expect(text.includes(value.slice(0, 20)), `${label} printed part of ${name}`).toBe(false);
  }
}

describe("a known secret set in env appears in no output", () => {
  const files = { "old.yaml": config("openai"), "new.yaml": config("openai-eu") };

  it.each([
    ["validate", ["validate", "new.yaml"]],
    ["validate json", ["validate", "new.yaml", "--format", "json"]],
    ["validate sarif", ["validate", "new.yaml", "--format", "sarif"]],
    ["lint", ["lint", "new.yaml"]],
    ["lint json", ["lint", "new.yaml", "--format", "json"]],
    ["lint github", ["lint", "new.yaml", "--format", "github"]],
    ["lint sarif", ["lint", "new.yaml", "--format", "sarif"]],
    ["diff", ["diff", "old.yaml", "new.yaml"]],
    ["diff json", ["diff", "old.yaml", "new.yaml", "--format", "json"]],
    ["diff markdown", ["diff", "old.yaml", "new.yaml", "--format", "markdown"]],
    ["plan", ["plan", "new.yaml", "--against", "old.yaml"]],
    ["plan json", ["plan", "new.yaml", "--against", "old.yaml", "--format", "json"]],
    ["plan markdown", ["plan", "new.yaml", "--against", "old.yaml", "--format", "markdown"]],
    ["routes", ["routes", "new.yaml"]],
    ["routes json", ["routes", "new.yaml", "--format", "json"]],
    ["explain", ["explain", "new.yaml", "--method", "POST", "--path", "/v1/chat/completions", "--model", "gpt-4o", "--header", `authorization: Bearer ${SECRETS.TEAM_KEY}`]],
    ["explain json", ["explain", "new.yaml", "--method", "POST", "--path", "/v1/chat/completions", "--model", "gpt-4o", "--header", `x-api-key: ${SECRETS.TEAM_KEY}`, "--format", "json"]],
  ])("%s", async (label, argv) => {
    const r = await runCli(argv as string[], { env: SECRETS, files });
    expect(r.stdout.length, `${label} printed nothing: ${r.stderr}`).toBeGreaterThan(0);
    expectClean(label, r.stdout + r.stderr);
  });

  it("/admin/config, /admin/reloads, /metrics and the logs", async () => {
    const gw = await startTestGateway(files["new.yaml"], { env: SECRETS });
    try {
      const auth = { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
      const config = await (await fetch(`${gw.adminUrl}/admin/config`, { headers: auth })).text();
      expect(config).toContain("<redacted:");
      expectClean("/admin/config", config);
      expectClean("/metrics", await (await fetch(`${gw.adminUrl}/metrics`)).text());
      await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${SECRETS.TEAM_KEY}` }, body: "{}" });
      await fetch(`${gw.url}/v1/chat/completions?api_key=${SECRETS.TEAM_KEY}`, { method: "POST", body: "{}" });
      expectClean("logs", JSON.stringify(gw.logs));
    } finally {
      await gw.close();
    }
  });
});
