import { createHash } from "node:crypto";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from "jose";

type KeyLike = CryptoKey;
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { JwksServer } from "../helpers/jwks-server.js";
import { TestOidcProvider } from "../helpers/oidc.js";
import { until } from "../helpers/until.js";

const TEAM_KEY = "sk-test-team-a-0123456789";
const HS_SECRET = "an-hmac-secret-that-is-long-enough-32b";
const ISSUER = "https://auth.example.test/";

let gw: TestGateway;
let up: FakeUpstream;
let jwks: JwksServer;
let oidc: TestOidcProvider;
let key1: { privateKey: KeyLike; jwk: JWK };
let pemPrivate: KeyLike;
let rsaPublicPem: string;

async function rsaKey(kid: string): Promise<{ privateKey: KeyLike; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

const now = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown>, opts: { key?: KeyLike | Uint8Array; kid?: string; alg?: string; iss?: string; aud?: string; exp?: number; nbf?: number } = {}): Promise<string> {
  const jwt = new SignJWT({ scope: "chat", ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "RS256", ...(opts.kid === undefined ? {} : { kid: opts.kid }) })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? "aigw")
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? now() + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(opts.key ?? key1.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

async function call(path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  up = await new FakeUpstream().start();
  jwks = await new JwksServer().start();
  key1 = await rsaKey("key-1");
  jwks.keys = [key1.jwk];
  oidc = await new TestOidcProvider().start();
  const pemPair = await generateKeyPair("RS256", { extractable: true });
  pemPrivate = pemPair.privateKey;
  const pemPublic = await exportSPKI(pemPair.publicKey);
  rsaPublicPem = pemPublic;
  const indent = (s: string) => s.trim().split("\n").join("\n        ");
  gw = await startTestGateway(
    `version: 1
auth:
  - name: keys
    type: apiKey
    keys:
      - { id: a1, consumer: team-a, sha256: "${createHash("sha256").update(TEAM_KEY).digest("hex")}" }
  - name: corp
    type: jwt
    issuer: "${ISSUER}"
    audience: aigw
    algorithms: [RS256]
    jwks: { url: "${jwks.url}", cooldownMs: 1000 }
  - name: hs
    type: jwt
    issuer: "${ISSUER}"
    audience: aigw
    algorithms: [HS256]
    secret: "${HS_SECRET}"
  - name: pem
    type: jwt
    issuer: "${ISSUER}"
    audience: aigw
    algorithms: [RS256]
    publicKey: |
        ${indent(pemPublic)}
  - name: sso
    type: oidc
    issuer: "${oidc.issuer}"
    audience: aigw
    discoveryRetryMs: 200
  - name: broken-sso
    type: oidc
    issuer: "http://127.0.0.1:9/nowhere"
    audience: aigw
    discoveryRetryMs: 200
consumers:
  - { name: team-a, scopes: [chat], models: ["gpt-*"] }
  - { name: svc-billing, scopes: [billing] }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }], consumerHeader: x-aigw-consumer }
  - { name: m, type: mock }
routes:
  - { name: keys, match: { pathPrefix: /keys }, auth: [keys], upstream: svc }
  - { name: corp, match: { pathPrefix: /corp }, auth: [corp], upstream: svc }
  - { name: scoped, match: { pathPrefix: /admin }, auth: [corp, keys], scopes: [admin], upstream: svc }
  - { name: hs, match: { pathPrefix: /hs }, auth: [hs], upstream: svc }
  - { name: pem, match: { pathPrefix: /pem }, auth: [pem], upstream: svc }
  - { name: sso, match: { pathPrefix: /sso }, auth: [sso], scopes: [chat], upstream: svc }
  - { name: degraded, match: { pathPrefix: /degraded }, auth: [broken-sso, keys], upstream: svc }
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: m }
  - { name: public, match: { pathPrefix: /public }, upstream: svc }
`,
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([up?.close(), jwks?.close(), oidc?.close()]);
});

describe("API keys", () => {
  it("accepts a key by Bearer or x-api-key and never forwards it", async () => {
    const variants: Record<string, string>[] = [{ authorization: `Bearer ${TEAM_KEY}` }, { "x-api-key": TEAM_KEY }];
    for (const headers of variants) {
      const res = await call("/keys/x", { ...headers, "x-aigw-consumer": "spoofed" });
      expect(res.status).toBe(200);
      expect(up.last.headers.authorization).toBeUndefined();
      expect(up.last.headers["x-api-key"]).toBeUndefined();
      expect(up.last.headers["x-aigw-consumer"]).toBe("team-a");
    }
  });

  it("answers 401 with WWW-Authenticate for a missing or unknown key", async () => {
    const missing = await call("/keys/x");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="aigw"');
    expect(((await missing.json()) as any).error.code).toBe("missing_credentials");
    const wrong = await call("/keys/x", { authorization: "Bearer sk-not-a-key" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  it("leaves client headers alone on public routes but still replaces a spoofed consumer header", async () => {
    await call("/public/x", { authorization: "Bearer client-token", "x-aigw-consumer": "spoofed" });
    expect(up.last.headers.authorization).toBe("Bearer client-token");
    expect(up.last.headers["x-aigw-consumer"]).toBeUndefined();
  });
});

describe("JWT (jose, JWKS)", () => {
  it("accepts a valid token and strips it", async () => {
    const res = await call("/corp/x", { authorization: `Bearer ${await token({ sub: "team-a" }, { kid: "key-1" })}` });
    expect(res.status).toBe(200);
    expect(up.last.headers.authorization).toBeUndefined();
    expect(up.last.headers["x-aigw-consumer"]).toBe("team-a");
  });

  it.each<[string, () => Promise<string>]>([
    ["expired", () => token({ sub: "u" }, { kid: "key-1", exp: now() - 3600 })],
    ["not yet valid", () => token({ sub: "u" }, { kid: "key-1", nbf: now() + 3600 })],
    ["wrong issuer", () => token({ sub: "u" }, { kid: "key-1", iss: "https://evil.example/" })],
    ["wrong audience", () => token({ sub: "u" }, { kid: "key-1", aud: "someone-else" })],
    ["alg none", async () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "u", iss: ISSUER, aud: "aigw", exp: now() + 600 })}.`],
    ["HS256 signed with the RSA public key as secret", () => token({ sub: "u" }, { kid: "key-1", alg: "HS256", key: new TextEncoder().encode(JSON.stringify(key1.jwk)) })],
    ["unknown kid", async () => token({ sub: "u" }, { kid: "no-such-key", key: (await rsaKey("x")).privateKey })],
    ["tampered signature", async () => {
      const t = await token({ sub: "u" }, { kid: "key-1" });
      const [h, , s] = t.split(".");
      return `${h}.${b64({ sub: "admin", iss: ISSUER, aud: "aigw", exp: now() + 600, scope: "admin" })}.${s}`;
    }],
    ["garbage", async () => "garbage"],
    ["garbage with dots", async () => "not.a.jwt"],
  ])("rejects %s with 401", async (_name, make) => {
    const res = await call("/corp/x", { authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="aigw"/);
  });

  it("rejects HS256 signed with the PEM public key as secret on a public-key provider", async () => {
    const forged = await token({ sub: "u" }, { alg: "HS256", key: new TextEncoder().encode(rsaPublicPem) });
    expect((await call("/pem/x", { authorization: `Bearer ${forged}` })).status).toBe(401);
    const good = await token({ sub: "u" }, { key: pemPrivate });
    expect((await call("/pem/x", { authorization: `Bearer ${good}` })).status).toBe(200);
  });

  it("verifies HS256 with a shared secret", async () => {
    const good = await token({ sub: "u" }, { alg: "HS256", key: new TextEncoder().encode(HS_SECRET) });
    expect((await call("/hs/x", { authorization: `Bearer ${good}` })).status).toBe(200);
    const bad = await token({ sub: "u" }, { alg: "HS256", key: new TextEncoder().encode("another-secret-of-32-bytes-length!!") });
    expect((await call("/hs/x", { authorization: `Bearer ${bad}` })).status).toBe(401);
  });

  it("picks up a rotated key without restart, and an unknown kid does not cause a fetch storm", async () => {
    await call("/corp/x", { authorization: `Bearer ${await token({ sub: "u" }, { kid: "key-1" })}` });
    // jose's JWKS cool-down reads Date.now(), not the gateway's clock: move the date past it, and hold it there.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 1100); // past the 1 s cool-down
      const key2 = await rsaKey("key-2");
      jwks.keys = [key1.jwk, key2.jwk];
      const before = jwks.fetches;
      const rotated = await call("/corp/x", { authorization: `Bearer ${await token({ sub: "u" }, { kid: "key-2", key: key2.privateKey })}` });
      expect(rotated.status).toBe(200);
      expect(jwks.fetches).toBe(before + 1);
      const stranger = (await rsaKey("key-3")).privateKey;
      const storm = await Promise.all(Array.from({ length: 30 }, async () => (await call("/corp/x", { authorization: `Bearer ${await token({ sub: "u" }, { kid: "key-3", key: stranger })}` })).status));
      expect(new Set(storm)).toEqual(new Set([401]));
      expect(jwks.fetches - (before + 1)).toBeLessThanOrEqual(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("scopes, consumers and models", () => {
  it("answers 403 for a missing scope, with the insufficient_scope challenge", async () => {
    const res = await call("/admin/x", { authorization: `Bearer ${await token({ sub: "team-a", scope: "chat" }, { kid: "key-1" })}` });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
    const ok = await call("/admin/x", { authorization: `Bearer ${await token({ sub: "team-a", scope: "chat admin" }, { kid: "key-1" })}` });
    expect(ok.status).toBe(200);
  });

  it("answers 403 in the OpenAI shape for a model outside the consumer's allow-list", async () => {
    const denied = await call("/v1/chat/completions", { authorization: `Bearer ${TEAM_KEY}` }, { model: "claude-x", messages: [{ role: "user", content: "hi" }] });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error).toMatchObject({ type: "permission_error", code: "model_not_allowed" });
    const allowed = await call("/v1/chat/completions", { authorization: `Bearer ${TEAM_KEY}` }, { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(allowed.status).toBe(200);
  });

  it("counts failures in aigw_auth_failures_total{provider,reason}", async () => {
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_auth_failures_total\{provider="corp",reason="expired"\} [1-9]/);
    expect(metrics).toMatch(/aigw_auth_failures_total\{provider="none",reason="missing"\} [1-9]/);
    expect(metrics).toMatch(/aigw_auth_failures_total\{provider="corp",reason="scope"\} [1-9]/);
    expect(metrics).toMatch(/aigw_auth_failures_total\{provider="keys",reason="model"\} [1-9]/);
  });
});

describe("OIDC (a real oidc-provider, discovery via openid-client)", () => {
  it("accepts a client-credentials access token and maps the consumer from sub", async () => {
    // Discovery runs in the background: poll until the provider is ready (503 until then).
    const res = await until(async () => {
      const r = await call("/sso/x", { authorization: `Bearer ${await oidc.token("chat")}` });
      return r.status === 503 ? undefined : r;
    }, "OIDC discovery", 5_000, 100);
    expect(res.status).toBe(200);
    expect(up.last.headers["x-aigw-consumer"]).toBe("svc-billing");
    expect(up.last.headers.authorization).toBeUndefined();
  });

  it("refuses a token without the route's scope and a token from another issuer", async () => {
    expect((await call("/sso/x", { authorization: `Bearer ${await oidc.token("admin")}` })).status).toBe(403);
    expect((await call("/sso/x", { authorization: `Bearer ${await token({ sub: "u" }, { kid: "key-1" })}` })).status).toBe(401);
  });

  it("keeps serving when discovery fails: other providers work, JWTs get 503, /ready reports it", async () => {
    expect((await call("/degraded/x", { authorization: `Bearer ${TEAM_KEY}` })).status).toBe(200);
    const jwt = await call("/degraded/x", { authorization: `Bearer ${await token({ sub: "u" }, { kid: "key-1" })}` });
    expect(jwt.status).toBe(503);
    expect(((await jwt.json()) as any).error.code).toBe("auth_unavailable");
    const ready = (await (await fetch(`${gw.adminUrl}/ready`)).json()) as any;
    expect(ready.status).toBe("ready");
    expect(ready.auth["broken-sso"]).toMatchObject({ ready: false });
    expect(ready.auth["broken-sso"].detail).toMatch(/discovery failed/);
    expect(ready.auth.sso).toEqual({ ready: true });
  });
});

