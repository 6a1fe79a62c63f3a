import { createHash } from "node:crypto";
import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { accessLine } from "../helpers/access-line.js";

/**
 * Issue 23, "Done when" 2: random paths, headers, bodies and stream cuts
 * against a real gateway. Whatever arrives: the process keeps serving,
 * every error answer is in the documented error shape, every exchange that
 * reached the upstream is settled exactly once (the ledger, the token
 * metric and the upstream's own count agree), and no secret appears in any
 * answer, header, log line or admin output.
 */

const KEY = "sk-fuzz-client-key-0000001";
const SECRETS = { UPSTREAM_KEY: "sk-upstream-secret-9f8e7d6c5b4a", BASIC: "czNjcjN0LWJhc2ljLWNyZWRz", ADMIN: "admin-token-7c1e0f4b2a99" };
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

/** What the fake upstream does with a request, chosen by the client through a header the gateway forwards. */
const BEHAVIOURS = ["complete", "stream", "cut-stream", "inband-error", "error-400", "error-500", "reset-before-answer"] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

let upstream: FakeUpstream;
/** Exchanges of the AI route the upstream saw. */
let exchanges = 0;
let gw: TestGateway;

function upstreamHandler(): FakeUpstream["handler"] {
  return (req, res, body) => {
    // Exchanges of the AI route carry the gateway's own upstream key; the plain route's are not metered.
    if (req.headers.authorization === `Bearer ${SECRETS.UPSTREAM_KEY}`) exchanges++;
    const behaviour = (req.headers["x-fuzz"] as Behaviour | undefined) ?? "complete";
    let model = "gpt-4o";
    try {
      model = (JSON.parse(body) as { model?: string }).model ?? model;
    } catch {
      // not JSON: answered anyway
    }
    const chunk = (content: string, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    switch (behaviour) {
      case "reset-before-answer":
        res.socket?.destroy();
        return;
      case "error-400":
      case "error-500":
        res.writeHead(behaviour === "error-400" ? 400 : 500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "no", type: "invalid_request_error", param: null, code: null } }));
        return;
      case "stream":
      case "cut-stream":
      case "inband-error":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(chunk("Hel"));
        if (behaviour === "cut-stream") {
          res.write(chunk("lo"), () => setImmediate(() => res.destroy()));
          return;
        }
        if (behaviour === "inband-error") {
          res.end(`data: ${JSON.stringify({ error: { message: "overloaded", type: "server_error" } })}\n\n`);
          return;
        }
        res.write(chunk("lo", "stop"));
        res.write(`data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } })}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      default:
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "c", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } }));
    }
  };
}

beforeAll(async () => {
  upstream = await new FakeUpstream(upstreamHandler()).start();
  gw = await startTestGateway(
    `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminAuth: { tokens: [{ value: "\${ADMIN}", role: viewer }] }
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
auth:
  - { name: keys, type: apiKey, keys: [{ id: a, consumer: team, sha256: "${sha(KEY)}" }] }
consumers:
  - { name: team, budget: { usd: 1000000, period: day } }
upstreams:
  - name: openai
    type: openai
    targets: [{ url: "${upstream.url}" }]
    credentials: { apiKey: "\${UPSTREAM_KEY}" }
    retries: { attempts: 0 }
  - { name: web, type: http, targets: [{ url: "${upstream.url}" }] }
routes:
  - name: chat
    match: { pathPrefix: /v1 }
    auth: [keys]
    upstream: openai
    timeoutMs: 2000
    headers: { request: { set: { x-upstream-auth: "Basic \${BASIC}" } } }
  - { name: web, match: { pathPrefix: /web }, upstream: web }
pricing:
  - { model: "*", input: 1, output: 1 }
`,
    { env: SECRETS },
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw request; after `cutAfter` bytes of the answer's body the connection is destroyed. */
function send(path: string, method: string, headers: Record<string, string>, body: Buffer | null, cutAfter: number | null): Promise<Sent> {
  const url = new URL(gw.url);
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let seen = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        seen += c.length;
        if (cutAfter !== null && seen >= cutAfter) {
          req.destroy();
          done();
        }
      });
      res.on("end", done);
      res.on("error", done);
      res.on("close", done);
    });
    req.on("error", () => resolve({ status: 0, headers: {}, body: "" }));
    req.end(body ?? undefined);
  });
}

const segment = fc.constantFrom("v1", "chat", "completions", "web", "x", "..", ".", "%2e", "%2F", ";", "%00", "%zz", "A%41", "models", "usage", "");
const pathArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant("/v1/chat/completions") },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => "/" + s.join("/")) },
);
const bodyArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ model: fc.constantFrom("gpt-4o", "gpt-4o-mini", "x".repeat(300)), stream: fc.boolean(), max_tokens: fc.integer({ min: 1, max: 100 }), content: fc.string({ maxLength: 40 }) })
      .map((b) => Buffer.from(JSON.stringify({ model: b.model, stream: b.stream, max_tokens: b.max_tokens, messages: [{ role: "user", content: b.content }] }))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(null) },
);
const headersArb = fc.record({
  auth: fc.constantFrom(`Bearer ${KEY}`, `Bearer ${KEY}`, `Bearer ${KEY}`, `Bearer ${KEY}`, "Bearer wrong", "", "Basic Zm9vOmJhcg=="),
  contentType: fc.constantFrom("application/json", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=utf-8"),
  behaviour: fc.constantFrom(...BEHAVIOURS),
  method: fc.constantFrom("GET", "POST", "POST", "POST", "PATCH", "PROPFIND"),
});

function assertErrorShape(sent: Sent): void {
  if (sent.status === 0 || sent.status < 400) return;
  // Relayed upstream errors are the fake's own OpenAI-shaped bodies; the gateway's own errors carry its documented shape.
  const parsed = JSON.parse(sent.body) as { error?: Record<string, unknown> };
  expect(parsed.error).toBeDefined();
  expect(typeof parsed.error!.message).toBe("string");
  expect(parsed.error!.code === null || typeof parsed.error!.code === "string").toBe(true);
  expect(sent.body).not.toMatch(/\n\s+at /); // never a stack trace
}

function assertNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

async function ledger(): Promise<{ requests: number; inputTokens: number; outputTokens: number }> {
  return (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { requests: number; inputTokens: number; outputTokens: number };
}

async function tokenMetric(): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^aigw_tokens_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

describe("the data plane under random input", () => {
  it("never crashes, answers errors in shape, settles every exchange once, and leaks no secret", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(pathArb, headersArb, bodyArb, fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }), async (path, h, body, cutAfter) => {
        const id = `fuzz-${n++}`;
        const headers: Record<string, string> = { "x-fuzz": h.behaviour, "x-request-id": id, "content-type": h.contentType };
        if (h.auth !== "") headers.authorization = h.auth;
        const sent = await send(path, h.method, headers, h.method === "GET" ? null : body, cutAfter);
        if (cutAfter === null) assertErrorShape(sent);
        assertNoSecret(sent.body + JSON.stringify(sent.headers));
        await accessLine(gw, id);
      }),
      { numRuns: 600 },
    );
    // Still serving.
    expect((await fetch(`${gw.adminUrl}/health`)).status).toBe(200);
    // Every exchange the upstream saw was settled once, in the ledger and the metric alike.
    const totals = await ledger();
    expect(exchanges).toBeGreaterThan(40);
    expect(totals.requests).toBe(exchanges);
    expect(await tokenMetric()).toBe(totals.inputTokens + totals.outputTokens);
    // No secret in any log line or admin output.
    assertNoSecret(JSON.stringify(gw.logs));
    assertNoSecret(await (await fetch(`${gw.adminUrl}/admin/config`, { headers: { authorization: `Bearer ${SECRETS.ADMIN}` } })).text());
    assertNoSecret(await (await fetch(`${gw.adminUrl}/metrics`)).text());
  });
});
