import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { METHODS, request as httpRequest } from "node:http";
import { connect, type ClientHttp2Session } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessLog, accessLogLine } from "../../src/observability/access-log.js";
import { createLogger } from "../../src/observability/logger.js";
import type { Clock } from "../../src/deps.js";
import type { RequestContext } from "../../src/pipeline/types.js";
import { accessLine } from "../helpers/access-line.js";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { JwksServer } from "../helpers/jwks-server.js";
import { OtlpReceiver, type ReceivedSpan } from "../helpers/otlp-receiver.js";
import { until } from "../helpers/until.js";

/**
 * Issue 23, items 9 and 11 (log side): what a client controls reaches
 * metrics, spans and the access log only bounded. A metric label takes its
 * values from a finite set (methods: the standard ones or OTHER; consumers:
 * declared names); a span attribute or an access-log field is clipped
 * (src/errors/clip.ts: 256 characters and a note of how many were left out).
 */

const BOUNDED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "OTHER"]);
/** The longest a clipped string can be: 256 characters and the `…(+N chars)` note. */
const CLIPPED_MAX = 256 + 24;
/** "A few KB": an access line of clipped fields. */
const LINE_MAX = 4096;

/** Every value of `label` over the samples of a Prometheus text exposition. */
function labelValues(text: string, label: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const labels = /^[a-zA-Z_:][\w:]*\{(.*)\} \S+$/.exec(line)?.[1] ?? "";
    for (const m of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (m[1] === label) out.add(m[2]!);
  }
  return out;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** /metrics once at least `count` requests are counted (the count is taken as each request completes): a bounded poll. */
async function metricsAfter(adminUrl: string, count: number): Promise<string> {
  return until(async () => {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    return total(text, "aigw_http_requests_total") >= count && text;
  }, `${count} requests counted in /metrics`);
}

/** One HTTP/1.1 request with any method the client's parser takes; resolves with the status. */
function h1(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** One HTTP/2 request on `session` with any `:method`; resolves with the status. */
function h2(session: ClientHttp2Session, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": method, ":path": path });
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", () => undefined);
    req.on("end", () => resolve(status));
    req.on("error", reject);
    req.end();
  });
}

let up: FakeUpstream;
let receiver: OtlpReceiver;
let plain: TestGateway;
let tls: TestGateway;
let certDir: string;

const routes = () => `upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }], retries: { attempts: 0 } }
routes:
  - { name: svc, match: { pathPrefix: /svc }, upstream: svc }
`;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "aigw-labels-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem"),
  ], { stdio: "pipe" });
  up = await new FakeUpstream().start();
  receiver = await new OtlpReceiver().start();
  plain = await startTestGateway(`version: 1
observability:
  tracing: { otlpEndpoint: "${receiver.url}", sampleRatio: 1, serviceName: aigw-labels }
${routes()}`);
  tls = await startTestGateway(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  tls: { cert: ${join(certDir, "cert.pem")}, key: ${join(certDir, "key.pem")}, minVersion: TLSv1.2 }
${routes()}`);
});

afterAll(async () => {
  await plain?.close();
  await tls?.close();
  await Promise.all([up?.close(), receiver?.close()]);
  if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
});

describe("the method label takes only the standard methods and OTHER", () => {
  it("HTTP/1.1: every method the parser accepts", async () => {
    // CONNECT is a tunnel, not a request the gateway answers.
    const methods = METHODS.filter((m) => m !== "CONNECT");
    expect(methods.length).toBeGreaterThan(30);
    for (const method of methods) expect(await h1(plain.url, method, `/svc/${method.toLowerCase()}`)).toBeGreaterThan(0);
    const text = await metricsAfter(plain.adminUrl, methods.length);
    const seen = labelValues(text, "method");
    expect([...seen].filter((m) => !BOUNDED_METHODS.has(m))).toEqual([]);
    const nonStandard = methods.filter((m) => !BOUNDED_METHODS.has(m));
    expect(nonStandard).toContain("PROPFIND");
    expect(total(text, "aigw_http_requests_total", { method: "OTHER" })).toBe(nonStandard.length);
    expect(total(text, "aigw_http_requests_total", { method: "GET" })).toBe(1);
  });

  it("HTTP/2 over TLS: random `:method` tokens (property), a 2000-character one among them", async () => {
    const session = connect(tls.url, { rejectUnauthorized: false });
    try {
      let sent = 0;
      const tokens = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/).filter((m) => m !== "CONNECT");
      await fc.assert(
        fc.asyncProperty(tokens, async (method) => {
          expect(await h2(session, method, "/svc/h2")).toBeGreaterThan(0);
          sent++;
        }),
        { numRuns: 60 },
      );
      const long = "X".repeat(2000);
      expect(await h2(session, long, "/svc/h2-long")).toBeGreaterThan(0);
      sent++;
      const text = await metricsAfter(tls.adminUrl, sent);
      expect(total(text, "aigw_http_requests_total")).toBe(sent);
      expect([...labelValues(text, "method")].filter((m) => !BOUNDED_METHODS.has(m))).toEqual([]);
      expect(text).not.toContain(long.slice(0, 100));
      // The access line of the long one carries it clipped.
      const line = tls.logs.find((l) => l.type === "access" && typeof l.method === "string" && l.method.startsWith("XXXX"));
      expect(line).toBeDefined();
      expect(String(line!.method).length).toBeLessThanOrEqual(CLIPPED_MAX);
    } finally {
      session.close();
    }
  });
});

describe("spans carry client strings clipped", () => {
  it("a 10 KB path and a non-standard method: url.path, url.full and span names clipped; the method `_OTHER` with the original beside it", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const path = "/svc/" + "p".repeat(10_000);
    expect(await h1(plain.url, "PROPFIND", path, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).toBe(200);
    expect(up.last.url).toBe(path); // the upstream got the whole path: only what is recorded is clipped
    const ofTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const spans = ofTrace(await receiver.waitFor((s) => ofTrace(s).length >= 2));
    const server = spans.find((s) => s.kind === 2)!;
    const attempt = spans.find((s) => s.kind === 3)!;
    for (const s of spans) {
      expect(s.name.length, s.name.slice(0, 40)).toBeLessThanOrEqual(CLIPPED_MAX);
      for (const [k, v] of Object.entries(s.attributes)) if (typeof v === "string") expect(v.length, k).toBeLessThanOrEqual(CLIPPED_MAX);
    }
    expect(String(server.attributes["url.path"]).startsWith("/svc/ppp")).toBe(true);
    expect(String(attempt.attributes["url.full"]).startsWith(`${up.url}/svc/ppp`)).toBe(true);
    expect(server.attributes["http.request.method"]).toBe("_OTHER");
    expect(server.attributes["http.request.method_original"]).toBe("PROPFIND");
  });
});

describe("the access log carries client strings clipped", () => {
  const context = (v: { method: string; host: string; path: string; subject: string; model: string; clientIp: string }): RequestContext =>
    ({
      id: "req-huge",
      req: { method: v.method },
      host: v.host,
      path: v.path,
      route: null,
      upstream: null,
      consumer: null,
      identity: { subject: v.subject },
      model: v.model,
      target: null,
      status: 404,
      startedAt: 0,
      upstreamMs: 0,
      bytesIn: 0,
      bytesOut: 0,
      clientIp: v.clientIp,
      errorCode: "route_not_found",
      usage: null,
      costUsd: null,
      cache: null,
      trace: null,
    }) as unknown as RequestContext;

  it("a context holding a 2 MB model and 100 KB path, host, subject, client IP and method: both writers write a line of a few KB", () => {
    const clock: Clock = { now: () => 1_795_000_000_000, monotonic: () => 0 };
    const ctx = context({ model: "m".repeat(2 * 1024 * 1024), path: "/" + "p".repeat(100_000), host: "h".repeat(100_000), subject: "s".repeat(100_000), clientIp: "1".repeat(100_000), method: "M".repeat(100_000) });
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (s: string) => void lines.push(s) } }).child({}, { msgPrefix: "", redact: [] });
    new AccessLog(logger, clock).write(ctx);
    logger.info(accessLogLine(ctx, clock));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.length).toBeLessThan(LINE_MAX);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      for (const field of ["method", "host", "path", "consumer", "model", "clientIp"]) {
        const value = String(parsed[field]);
        expect(value.length, field).toBeLessThanOrEqual(CLIPPED_MAX);
        expect(value, field).toMatch(/…\(\+\d+ chars\)$/);
      }
      expect(String(parsed.model).startsWith("m".repeat(256))).toBe(true);
    }
  });

  it("over the wire: a request with a 10 KB path and a 3 KB host leaves a line of a few KB", async () => {
    const path = "/svc/" + "p".repeat(10_000);
    const host = "h".repeat(3_000) + ".example";
    expect(await h1(plain.url, "GET", path, { host, "x-request-id": "req-long-path" })).toBeGreaterThan(0);
    const line = await accessLine(plain, "req-long-path", 10_000);
    expect(JSON.stringify(line).length).toBeLessThan(LINE_MAX);
    expect(String(line.path).startsWith("/svc/ppp")).toBe(true);
    expect(String(line.path).length).toBeLessThanOrEqual(CLIPPED_MAX);
    expect(String(line.host).length).toBeLessThanOrEqual(CLIPPED_MAX);
  });
});

describe("the consumer label", () => {
  let jwks: JwksServer;
  let child: ChildGateway | undefined;
  const dir = mkdtempSync(join(tmpdir(), "aigw-labels-consumer-"));

  afterAll(async () => {
    if (child?.child.exitCode === null) {
      child.child.kill("SIGTERM");
      await child.exited;
    }
    await jwks?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is a declared consumer's name or `-`, never a token's subject (aigw serve, consumerLabel on)", async () => {
    jwks = await new JwksServer().start();
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    jwks.keys = [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }];
    const issuer = "https://idp.example.com";
    const file = join(dir, "gateway.yaml");
    writeFileSync(
      file,
      `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { metrics: { consumerLabel: true } }
auth:
  - name: idp
    type: jwt
    issuer: "${issuer}"
    audience: aigw
    algorithms: [RS256]
    jwks: { url: "${jwks.url}" }
consumers: [{ name: team-a }]
upstreams: [{ name: m, type: mock }]
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [idp], upstream: m }
`,
    );
    child = await spawnGateway(file);
    const token = (sub: string) =>
      new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer(issuer).setAudience("aigw").setSubject(sub).setIssuedAt().setExpirationTime("1h").sign(privateKey);
    const subjects = ["team-a", ...fc.sample(fc.stringMatching(/^[a-z0-9@.|-]{8,40}$/), { numRuns: 8, seed: 23 }).map((s) => `undeclared-${s}`), "u".repeat(1000)];
    for (const sub of subjects) {
      const client = new OpenAI({ apiKey: await token(sub), baseURL: `${child.dataUrl}/v1`, maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: "mock-1", messages: [{ role: "user", content: "hi" }] });
      expect(completion.choices.length).toBeGreaterThan(0);
    }
    const text = await metricsAfter(child.adminUrl, subjects.length);
    expect([...labelValues(text, "consumer")].sort()).toEqual(["-", "team-a"]);
    expect(total(text, "aigw_http_requests_total", { consumer: "team-a" })).toBe(1);
    expect(total(text, "aigw_http_requests_total", { consumer: "-" })).toBe(subjects.length - 1);
    for (const sub of subjects.slice(1)) expect(text).not.toContain(sub.slice(0, 40));
  });
});
