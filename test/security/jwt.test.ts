/**
 * Issue 23, item 10: JWT and OIDC are strict by default. Before the fix a
 * token without `exp` verified (valid forever, until its key is withdrawn),
 * expiry was judged by the host's clock rather than the gateway's, and an
 * `oidc` provider or a JWKS-based `jwt` provider without `audience`
 * accepted any token its issuer signs for any client. Tokens here are signed
 * by keys the test holds: a JWKS served by a real HTTP server
 * (helpers/jwks-server.ts), and a real oidc-provider issuer whose signing
 * key the test keeps (as helpers/oidc.ts, plus the key and a second
 * audience), so it can mint what the issuer itself could sign.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from "jose";
import Provider from "oidc-provider";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeClock, startClockedGateway, type FakeClock } from "../helpers/clocked-gateway.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import type { TestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";
import { JwksServer } from "../helpers/jwks-server.js";
import { until } from "../helpers/until.js";

const ISSUER = "https://auth.example.test/";
const CLIENT_AUTH = `Basic ${Buffer.from("svc-billing:billing-secret-123456789").toString("base64")}`;

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1:0 issuing JWT access
 * tokens for the client-credentials grant: audience `aigw` for the resource
 * `urn:aigw`, `other-app` for `urn:other`. Its signing key is kept, so the
 * test can sign what the issuer could.
 */
class KeyedOidcProvider {
  issuer = "";
  readonly kid = "oidc-test-key";
  privateKey!: CryptoKey;
  private server: Server | null = null;

  async start(): Promise<this> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    this.privateKey = privateKey;
    const jwk = { ...(await exportJWK(privateKey)), kid: this.kid, alg: "RS256", use: "sig" };
    const provider = new Provider(this.issuer, {
      clients: [{ client_id: "svc-billing", client_secret: "billing-secret-123456789", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] }],
      jwks: { keys: [jwk] },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => "urn:aigw",
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
            scope: "chat",
            audience: indicator === "urn:other" ? "other-app" : "aigw",
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          }),
        },
      },
    });
    server.on("request", provider.callback());
    this.server = server;
    return this;
  }

  /** A client-credentials access token the issuer makes for `resource`. */
  async token(resource = "urn:aigw"): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: CLIENT_AUTH },
      body: new URLSearchParams({ grant_type: "client_credentials", scope: "chat", resource }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    if (body.access_token === undefined) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === null ? r() : this.server.close(() => r())));
  }
}

/** A JWT; `exp` is left out unless given (seconds since the epoch). */
function sign(key: CryptoKey, claims: { iss: string; aud: string; sub: string; iat: number; exp?: number; kid: string }): Promise<string> {
  const jwt = new SignJWT({ scope: "chat", client_id: "svc-billing" })
    .setProtectedHeader({ alg: "RS256", kid: claims.kid, typ: "at+jwt" })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat)
    .setJti(`jti-${Math.random().toString(36).slice(2)}`);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
}

const seconds = (clock: FakeClock): number => Math.floor(clock.now() / 1000);

let up: FakeUpstream;
let jwks: JwksServer;
let oidc: KeyedOidcProvider;
let jwksKey: { privateKey: CryptoKey; jwk: JWK };
const cleanup: (() => Promise<unknown>)[] = [];

function gatewayYaml(): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
auth:
  - name: corp
    type: jwt
    issuer: "${ISSUER}"
    audience: aigw
    algorithms: [RS256]
    jwks: { url: "${jwks.url}" }
  - name: sso
    type: oidc
    issuer: "${oidc.issuer}"
    audience: aigw
    discoveryRetryMs: 200
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: corp, match: { pathPrefix: /corp }, auth: [corp], upstream: svc }
  - { name: sso, match: { pathPrefix: /sso }, auth: [sso], upstream: svc }
`;
}

async function gateway(clock: FakeClock, yaml = gatewayYaml()): Promise<TestGateway> {
  const gw = await startClockedGateway(yaml, clock);
  cleanup.push(() => gw.close());
  return gw;
}

function call(gw: TestGateway, path: string, token: string): Promise<Response> {
  return fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** The answer of the first call made after the OIDC provider's discovery finished (it runs in the background). */
async function afterDiscovery(gw: TestGateway, token: string): Promise<Response> {
  return until(async () => {
    const res = await call(gw, "/sso/x", token);
    if (res.status !== 503) return res;
    await res.text();
    return undefined;
  }, "OIDC discovery", 10_000, 20);
}

async function metric(gw: TestGateway, provider: string, reason: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`aigw_auth_failures_total{provider="${provider}",reason="${reason}"} `));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

async function expectInvalidToken(res: Response, description: RegExp): Promise<void> {
  expect(res.status).toBe(401);
  const challenge = res.headers.get("www-authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer realm="aigw", error="invalid_token"/);
  expect(challenge).toMatch(description);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("invalid_credentials");
}

beforeAll(async () => {
  up = await new FakeUpstream().start();
  jwks = await new JwksServer().start();
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  jwksKey = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" } };
  jwks.keys = [jwksKey.jwk];
  oidc = await new KeyedOidcProvider().start();
});

afterAll(async () => {
  await Promise.all([up?.close(), jwks?.close(), oidc?.close()]);
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe("exp is required", () => {
  it("refuses a jwks-verified token without exp with 401 invalid_token", async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock);
    const claims = { iss: ISSUER, aud: "aigw", sub: "team-a", iat: seconds(clock), kid: "key-1" };
    const before = up.requests.length;
    await expectInvalidToken(await call(gw, "/corp/x", await sign(jwksKey.privateKey, claims)), /error_description="the token has no exp claim"/);
    expect(up.requests.length).toBe(before);
    // The same token with an exp passes: exp is what was missing.
    const withExp = await call(gw, "/corp/x", await sign(jwksKey.privateKey, { ...claims, exp: seconds(clock) + 600 }));
    expect(withExp.status).toBe(200);
  });

  it("refuses an OIDC token without exp, signed with the issuer's own key, and accepts the issuer's real tokens", async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock);
    const real = await afterDiscovery(gw, await oidc.token());
    expect(real.status).toBe(200);
    const forever = await sign(oidc.privateKey, { iss: oidc.issuer, aud: "aigw", sub: "svc-billing", iat: seconds(clock), kid: oidc.kid });
    await expectInvalidToken(await call(gw, "/sso/x", forever), /error_description="the token has no exp claim"/);
    expect((await call(gw, "/sso/x", await oidc.token())).status).toBe(200);
  });

  it('counts the refusal as aigw_auth_failures_total{reason="no_exp"}', async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock);
    expect(await metric(gw, "corp", "no_exp")).toBe(0);
    const res = await call(gw, "/corp/x", await sign(jwksKey.privateKey, { iss: ISSUER, aud: "aigw", sub: "team-a", iat: seconds(clock), kid: "key-1" }));
    expect(res.status).toBe(401);
    expect(await metric(gw, "corp", "no_exp")).toBe(1);
  });

  it("accepts a token until its exp by the gateway's clock, and refuses it after", async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock, gatewayYaml().replace("    jwks: {", "    clockToleranceMs: 0\n    jwks: {"));
    const exp = seconds(clock) + 120;
    const token = await sign(jwksKey.privateKey, { iss: ISSUER, aud: "aigw", sub: "team-a", iat: seconds(clock), exp, kid: "key-1" });
    expect((await call(gw, "/corp/x", token)).status).toBe(200);
    clock.advance(119_000); // one second before exp, by the gateway's clock
    expect((await call(gw, "/corp/x", token)).status).toBe(200);
    clock.advance(2_000); // one second after, by the gateway's clock (the host's clock still says two minutes to go)
    await expectInvalidToken(await call(gw, "/corp/x", token), /expired/);
  });

  it("accepts it on a provider with requireExp: false", async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock, gatewayYaml().replace("    jwks: {", "    requireExp: false\n    jwks: {"));
    const forever = await sign(jwksKey.privateKey, { iss: ISSUER, aud: "aigw", sub: "team-a", iat: seconds(clock), kid: "key-1" });
    expect((await call(gw, "/corp/x", forever)).status).toBe(200);
    // The OIDC provider next to it keeps the default.
    await afterDiscovery(gw, await oidc.token());
    const oidcForever = await sign(oidc.privateKey, { iss: oidc.issuer, aud: "aigw", sub: "svc-billing", iat: seconds(clock), kid: oidc.kid });
    expect((await call(gw, "/sso/x", oidcForever)).status).toBe(401);
  });
});

describe("audience is required where the issuer signs for others", () => {
  it("refuses a token the issuer made for another audience", async () => {
    const clock = fakeClock(Date.now());
    const gw = await gateway(clock);
    expect((await afterDiscovery(gw, await oidc.token())).status).toBe(200);
    const other = await oidc.token("urn:other");
    expect(JSON.parse(Buffer.from(other.split(".")[1]!, "base64url").toString()).aud).toBe("other-app");
    const res = await call(gw, "/sso/x", other);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  async function validate(yaml: string): Promise<{ code: number; ok: boolean; findings: { line: number; column: number; rule: string; severity: string; message: string }[] }> {
    const dir = mkdtempSync(join(tmpdir(), "aigw-jwt-validate-"));
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, yaml);
    const r = await runCli(["validate", "--format", "json", file]);
    const out = JSON.parse(r.stdout) as { ok: boolean; findings: { line: number; column: number; rule: string; severity: string; message: string }[] };
    return { code: r.code, ok: out.ok, findings: out.findings };
  }

  it("is a validate error for a jwt provider with jwks / an oidc provider without one, at the provider", async () => {
    const r = await validate(`version: 1
auth:
  - name: corp
    type: jwt
    issuer: https://auth.example.com/
    algorithms: [RS256]
    jwks: { url: https://auth.example.com/.well-known/jwks.json }
  - name: sso
    type: oidc
    issuer: https://accounts.example.com
upstreams:
  - { name: m, type: mock }
routes:
  - { name: chat, upstream: m, auth: [corp, sso] }
`);
    expect(r.code).toBe(1);
    expect(r.ok).toBe(false);
    const errors = r.findings.filter((f) => f.severity === "error");
    expect(errors.map((f) => [f.rule, f.line])).toEqual([
      ["auth.audience.required", 3],
      ["auth.audience.required", 8],
    ]);
    expect(errors[0]!.message).toContain('"corp"');
    expect(errors[1]!.message).toContain('"sso"');
  });

  it("is not required of a provider with its own secret or public key", async () => {
    const { publicKey } = await generateKeyPair("RS256", { extractable: true });
    const pem = (await exportSPKI(publicKey)).trim().split("\n").join("\n      ");
    const r = await validate(`version: 1
auth:
  - name: hs
    type: jwt
    issuer: https://auth.example.com/
    algorithms: [HS256]
    secret: an-hmac-secret-that-is-long-enough-32b
  - name: pem
    type: jwt
    issuer: https://auth.example.com/
    algorithms: [RS256]
    publicKey: |
      ${pem}
upstreams:
  - { name: m, type: mock }
routes:
  - { name: chat, upstream: m, auth: [hs, pem] }
`);
    expect(r.findings.filter((f) => f.rule === "auth.audience.required")).toEqual([]);
    expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(r.code).toBe(0);
  });
});
