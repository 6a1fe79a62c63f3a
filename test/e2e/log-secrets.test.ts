import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { closedPort, FakeUpstream } from "../helpers/fake-upstream.js";
import { logLine } from "../helpers/until.js";

/** Every secret fed to the gateway; none may appear in anything it writes. */
const SECRETS = {
  upstreamKey: "sk-upstream-SECRET-7f3a9c",
  clientKey: "sk-client-SECRET-2b8e41aa",
  jwtSecret: "jwt-hs-SECRET-9d1c55-long-enough-for-hs256!",
  adminToken: "admin-token-SECRET-4e6f0000",
  redisPassword: "redis-pw-SECRET-8a2b",
  otlpKey: "otlp-key-SECRET-3c7d",
  userinfo: "userinfo-SECRET-0c3d",
  body: "body-SECRET-6f1e",
  query: "query-SECRET-5b9a",
  xApiKey: "xapi-SECRET-1a2b3c4d",
  cookie: "cookie-SECRET-77",
  upstreamBody: "upstream-error-SECRET-42",
  reloadKey: "sk-reload-SECRET-77aa",
  typedKey: "sk-typed-SECRET-88bb",
  unknownKey: "sk-unknown-SECRET-99cc",
};

const sha = (k: string) => createHash("sha256").update(k).digest("hex");

describe("secrets never reach the logs", () => {
  let child: ChildGateway | undefined;
  let upstream: FakeUpstream | undefined;
  const dir = mkdtempSync(join(tmpdir(), "aigw-secrets-"));
  afterAll(async () => {
    if (child?.child.exitCode === null) child.child.kill("SIGKILL");
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("through headers, bodies, query strings, configs, reload findings, upstream and Redis errors, at debug level", async () => {
    upstream = await new FakeUpstream((req, res, body) => {
      if (req.url?.includes("/fail")) {
        res.writeHead(500, { "content-type": "application/json", "set-cookie": `s=${SECRETS.cookie}` });
        res.end(JSON.stringify({ error: { message: SECRETS.upstreamBody } }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, echoed: body.length }));
    }).start();
    const [redisPort, otlpPort, downPort] = [await closedPort(), await closedPort(), await closedPort()];
    const config = (extra = "") => `version: 1
server:
  listen: "127.0.0.1:0"
  admin: "127.0.0.1:0"
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  adminAuth: { tokens: [{ id: ops, value: "\${ADMIN_TOKEN}", role: operator }] }
state:
  redis: { url: "redis://:\${REDIS_PASSWORD}@127.0.0.1:${redisPort}", onError: allow, timeoutMs: 50 }
observability:
  logs: { level: debug, accessLog: true }
  tracing: { otlpEndpoint: "http://127.0.0.1:${otlpPort}", sampleRatio: 1, headers: { authorization: "\${OTLP_KEY}" } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "${sha(SECRETS.clientKey)}" }]
  - name: corp
    type: jwt
    issuer: https://issuer.test/
    audience: aigw
    algorithms: [HS256]
    secret: "\${JWT_SECRET}"
consumers: [{ name: team-a }]
rateLimits:
  - { name: per-consumer, algorithm: token_bucket, limit: 100, window: 1m, key: consumer }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${upstream!.url}" }], credentials: { apiKey: "\${UPSTREAM_KEY}" } }
  - { name: down, type: http, targets: [{ url: "http://user:${SECRETS.userinfo}@127.0.0.1:${downPort}" }], retries: { attempts: 1 } }
routes:
  - { name: svc, match: { pathPrefix: /svc }, auth: [keys, corp], rateLimits: [per-consumer], upstream: svc }
  - { name: down, match: { pathPrefix: /down }, upstream: down }
  - { name: open, match: { pathPrefix: /open }, upstream: svc }
${extra}`;
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, config());
    child = await spawnGateway(file, {
      UPSTREAM_KEY: SECRETS.upstreamKey,
      ADMIN_TOKEN: SECRETS.adminToken,
      REDIS_PASSWORD: SECRETS.redisPassword,
      OTLP_KEY: SECRETS.otlpKey,
      JWT_SECRET: SECRETS.jwtSecret,
    });
    const url = child.dataUrl;
    const post = (path: string, headers: Record<string, string>, body: unknown = { messages: [{ role: "user", content: `my password is ${SECRETS.body}` }] }) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

    const good = `Bearer ${SECRETS.clientKey}`;
    expect((await post(`/svc/x?api_key=${SECRETS.query}`, { authorization: good, cookie: `session=${SECRETS.cookie}` })).status).toBe(200);
    expect((await post("/svc/x", { "x-api-key": SECRETS.xApiKey })).status).toBe(401);
    expect((await post("/svc/x", { authorization: `Bearer ${SECRETS.xApiKey}` })).status).toBe(401);
    const wrongAudience = await new SignJWT({ sub: "team-a" }).setProtectedHeader({ alg: "HS256" }).setIssuer("https://issuer.test/").setAudience("other").setExpirationTime("1h").sign(new TextEncoder().encode(SECRETS.jwtSecret));
    expect((await post("/svc/x", { authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
    expect((await post("/svc/fail", { authorization: good })).status).toBe(500);
    expect((await post("/down/x", { authorization: good, "proxy-authorization": `Basic ${SECRETS.xApiKey}` })).status).toBe(502);
    expect((await post("/open/fail", { authorization: good })).status).toBe(500);
    const admin = await fetch(`${child.adminUrl}/admin/config`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    expect(admin.status).toBe(200);
    expect(await admin.text()).not.toContain(SECRETS.upstreamKey);
    expect((await fetch(`${child.adminUrl}/admin/config`, { headers: { authorization: `Bearer ${SECRETS.adminToken}x` } })).status).toBe(401);

    // Reloads that fail, with secrets where findings point.
    const broken = [
      config(`  - { name: bad, match: { pathPrefix: /bad }, upstream: nowhere }\n`).replace(`credentials: { apiKey: "\${UPSTREAM_KEY}" }`, `credentials: { apiKey: "${SECRETS.reloadKey}" }`),
      config().replace(`credentials: { apiKey: "\${UPSTREAM_KEY}" }`, `credentials: { apiKey: ["${SECRETS.typedKey}"] }`),
      config().replace(`credentials: { apiKey: "\${UPSTREAM_KEY}" }`, `credentials: { apiKey: "\${UPSTREAM_KEY}", apiKeyy: "${SECRETS.unknownKey}" }`),
      config().replace(`secret: "\${JWT_SECRET}"`, `secret: 12345\n    secrets: "${SECRETS.unknownKey}"`),
    ];
    const expectedFinding = ["nowhere", "apiKey must be", 'key "apiKeyy"', 'key "secrets"'];
    for (const [i, text] of broken.entries()) {
      writeFileSync(file, text);
      child.child.kill("SIGHUP");
      await logLine(child.logs, (l) => ((l.finding as { message?: string } | undefined)?.message ?? "").includes(expectedFinding[i]!), `a finding mentioning ${expectedFinding[i]}`);
    }
    // The exit is the wait: shutdown flushes the logs and the trace exporter, and the scan reads everything up to it.
    child.child.kill("SIGTERM");
    expect(await child.exited).toBe(0);

    const everything = `${child.logs.map((l) => JSON.stringify(l)).join("\n")}\n${child.stderr()}`;
    // The scenario ran: access lines, reload findings and store errors were written.
    expect(child.logs.filter((l) => l.type === "access").length).toBeGreaterThanOrEqual(7);
    expect(child.logs.some((l) => l.level === "debug")).toBe(true);
    expect(child.logs.filter((l) => l.finding !== undefined).length).toBeGreaterThanOrEqual(4);
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(everything.includes(secret), `${name} leaked into the logs`).toBe(false);
    }
    expect(everything).toContain("/svc/x"); // the scan covers the access lines
  });
});
