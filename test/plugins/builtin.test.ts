/**
 * Built-in plugins (DESIGN.md 11), each through a running gateway: real
 * sockets on port 0, fake upstreams that record what they received.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { FakeUpstream, closedPort } from "../helpers/fake-upstream.js";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { until } from "../helpers/until.js";

const KEY_A = "sk-team-a-0000000000000000000001";
const KEY_B = "sk-team-b-0000000000000000000002";
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const AUTH = `auth:
  - name: keys
    type: apiKey
    keys:
      - { id: a, consumer: team-a, sha256: "${sha(KEY_A)}" }
      - { id: b, consumer: team-b, sha256: "${sha(KEY_B)}" }
consumers: [{ name: team-a }, { name: team-b }]
`;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
async function gateway(yaml: string, file?: string): Promise<TestGateway> {
  const gw = await startTestGateway(`version: 1\n${yaml}`, file === undefined ? {} : { file });
  open.push(gw);
  return gw;
}
async function upstream(u: Promise<FakeUpstream> | FakeUpstream): Promise<FakeUpstream> {
  const started = await u;
  open.push(started);
  return started;
}
const chatBody = (content: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content }], ...extra });
const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

/**
 * An OpenAI upstream whose answer text is `pieces`, streamed one SSE chunk
 * per piece with a pause between (separate TCP writes). `state.cut` tells
 * whether the gateway closed a stream before it was written to the end.
 */
function pieceUpstream(pieces: string[], delayMs = 15, state: { cut: boolean } = { cut: false }): FakeUpstream {
  return new FakeUpstream(async (_req, res, body) => {
    res.on("close", () => {
      if (!res.writableEnded) state.cut = true;
    });
    const parsed = JSON.parse(body || "{}") as { stream?: boolean; stream_options?: { include_usage?: boolean } };
    const base = { id: "chatcmpl-pieces", created: 1795356191, model: "gpt-4o" };
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    if (parsed.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: pieces.join("") }, finish_reason: "stop" }], usage }));
      return;
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(chunk({ role: "assistant", content: "" }));
    for (const p of pieces) {
      await delay(delayMs);
      res.write(chunk({ content: p }));
    }
    await delay(delayMs);
    res.write(chunk({}, "stop"));
    if (parsed.stream_options?.include_usage === true) res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
}

/** An Anthropic Messages upstream streaming `pieces` as text deltas, one event per write. */
function anthropicPieces(pieces: string[], delayMs = 15): FakeUpstream {
  return new FakeUpstream(async (_req, res) => {
    const ev = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write(ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } }));
    res.write(ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    for (const p of pieces) {
      await delay(delayMs);
      res.write(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: p } }));
    }
    res.write(ev("content_block_stop", { index: 0 }));
    res.write(ev("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } }));
    res.end(ev("message_stop", {}));
  });
}

/** The SSE `data:` payloads of a streamed answer. */
async function events(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split(/\n\n/)
    .map((e) => e.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"))
    .filter((d) => d !== "");
}
function assembled(data: string[]): string {
  let out = "";
  for (const d of data) {
    if (d === "[DONE]") continue;
    const chunk = JSON.parse(d) as { choices?: { delta?: { content?: string } }[] };
    for (const c of chunk.choices ?? []) out += c.delta?.content ?? "";
  }
  return out;
}

describe("request-headers and response-headers", () => {
  it("set, add and remove, with ${consumer}, ${route} and ${requestId} filled per request", async () => {
    const up = await upstream(new FakeUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", server: "fake/1.0", "x-upstream": "u" });
      res.end("{}");
    }).start());
    const gw = await gateway(`${AUTH}
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - name: svc
    match: { pathPrefix: /svc }
    auth: [keys]
    upstream: svc
    plugins:
      - name: request-headers
        config:
          set: { x-consumer: "\${consumer}", x-tag: "route=\${route} id=\${requestId}" }
          add: { x-list: added }
          remove: [x-secret]
      - name: response-headers
        config:
          set: { x-served-by: "aigw/\${route}", cache-control: no-store }
          add: { x-upstream: again }
          remove: [server]
`);
    const res = await fetch(`${gw.url}/svc/a`, { headers: { authorization: `Bearer ${KEY_A}`, "x-request-id": "req-42", "x-consumer": "spoofed", "x-list": "client", "x-secret": "s3cret" } });
    expect(res.status).toBe(200);
    const h = up.last.headers;
    expect(h["x-consumer"]).toBe("team-a");
    expect(h["x-tag"]).toBe("route=svc id=req-42");
    expect(h["x-list"]).toBe("client, added");
    expect(h["x-secret"]).toBeUndefined();
    expect(res.headers.get("x-served-by")).toBe("aigw/svc");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-upstream")).toBe("u, again");
    expect(res.headers.get("server")).toBeNull();
  });

  it("response-headers also apply to the gateway's own errors after the plugin (502 in the error shape)", async () => {
    const port = await closedPort();
    const gw = await gateway(`upstreams: [{ name: down, type: http, targets: [{ url: "http://127.0.0.1:${port}" }] }]
routes:
  - name: down
    upstream: down
    plugins: [{ name: response-headers, config: { set: { x-plugin: seen } } }]
`);
    const res = await fetch(`${gw.url}/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-plugin")).toBe("seen");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_connect_error");
  });

  it("a removed upstream header is gone whichever way it is removed, and a plugin before response-headers still sees it", async () => {
    // Removals the first response hook or a route rule would make anyway are left
    // out of the copy of the upstream's headers (responseCopy); what runs before
    // them must not notice.
    const dir = mkdtempSync(join(tmpdir(), "aigw-strips-"));
    writeFileSync(
      join(dir, "peek.mjs"),
      `export default { name: "peek", create() { return { response(ctx) { ctx.response.headers["x-peeked"] = String(ctx.response.headers["x-internal"] ?? "none"); } }; } };\n`,
    );
    const up = await upstream(new FakeUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "x-internal": "42", "x-trace": "t", server: "fake/1.0" });
      res.end("{}");
    }).start());
    const strip = `{ name: response-headers, config: { set: { x-served-by: aigw }, remove: [X-Internal] } }`;
    const peek = `{ name: peek, module: ./peek.mjs }`;
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: first, match: { pathPrefix: /first }, upstream: svc, plugins: [${strip}, ${peek}] }
  - { name: after, match: { pathPrefix: /after }, upstream: svc, plugins: [${peek}, ${strip}] }
  - name: cors
    match: { pathPrefix: /cors }
    upstream: svc
    plugins:
      - { name: cors, config: { origins: ["https://app.example.com"] } }
      - { name: response-headers, config: { remove: [x-internal, access-control-allow-origin] } }
  - name: rules
    match: { pathPrefix: /rules }
    upstream: svc
    headers: { response: { set: { x-trace: mine }, remove: [x-internal, x-trace, Server] } }
`, join(dir, "gateway.yaml"));
    const first = await fetch(`${gw.url}/first`);
    expect(first.headers.get("x-internal")).toBeNull();
    expect(first.headers.get("x-served-by")).toBe("aigw");
    expect(first.headers.get("x-peeked")).toBe("none");
    const after = await fetch(`${gw.url}/after`);
    expect(after.headers.get("x-internal")).toBeNull();
    expect(after.headers.get("x-peeked")).toBe("42");
    // cors runs first: the upstream's x-internal never reaches the answer, and
    // cors still set its own allow-origin, which the removal then takes out.
    const corsRes = await fetch(`${gw.url}/cors`, { headers: { origin: "https://app.example.com" } });
    expect(corsRes.headers.get("x-internal")).toBeNull();
    expect(corsRes.headers.get("access-control-allow-origin")).toBeNull();
    expect(corsRes.headers.get("vary")).toBe("Origin");
    const rules = await fetch(`${gw.url}/rules`);
    expect(rules.headers.get("x-internal")).toBeNull();
    expect(rules.headers.get("server")).toBeNull();
    // Set and removed by the same rule: removal comes last.
    expect(rules.headers.get("x-trace")).toBeNull();
    expect(rules.headers.get("content-type")).toBe("application/json");
  });

  it("a response header Node refuses to send answers an error in the error shape, on plain and AI routes, and the gateway goes on", async () => {
    // The relay runs in callbacks from the upstream's answer: a throw there
    // (here writeHead refusing a value with a newline) must end the request
    // with an error, never escape into the process.
    const dir = mkdtempSync(join(tmpdir(), "aigw-badheader-"));
    writeFileSync(
      join(dir, "bad.mjs"),
      `export default { name: "bad", create() { return { response(ctx) { ctx.response.headers["x-bad"] = "a\\nb"; } }; } };\n`,
    );
    const plain = await upstream(new FakeUpstream().start());
    const ai = await upstream(fakeOpenAI());
    const gw = await gateway(`upstreams:
  - { name: svc, type: http, targets: [{ url: "${plain.url}" }] }
  - { name: openai, type: openai, targets: [{ url: "${ai.url}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: openai, plugins: [{ name: bad, module: ./bad.mjs }] }
  - { name: bad, match: { pathPrefix: /bad }, upstream: svc, plugins: [{ name: bad, module: ./bad.mjs }] }
  - { name: good, match: { pathPrefix: /good }, upstream: svc }
`, join(dir, "gateway.yaml"));
    // The gateway's own failure (500), not the upstream's (502).
    const bad = await fetch(`${gw.url}/bad`);
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    const chat = await post(`${gw.url}/v1/chat/completions`, chatBody("hi"));
    expect(chat.status).toBe(500);
    expect(((await chat.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    expect((await fetch(`${gw.url}/good`)).status).toBe(200);
  });

  it("a response header Node refuses on a translated route: 500, and the upstream's held stream is released", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-badheader-"));
    writeFileSync(
      join(dir, "bad.mjs"),
      `export default { name: "bad", create() { return { response(ctx) { ctx.response.headers["x-bad"] = "a\\nb"; } }; } };\n`,
    );
    // An Anthropic stream that stays open after its first events until the gateway lets go of it (bounded).
    const state = { released: false };
    const anthropic = await upstream(
      new FakeUpstream(async (_req, res, body) => {
        const ev = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
        const message = { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", usage: { input_tokens: 10, output_tokens: 1 } };
        if ((JSON.parse(body) as { stream?: boolean }).stream !== true) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ...message, content: [{ type: "text", text: "hi" }], stop_reason: "end_turn" }));
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        res.write(ev("message_start", { message: { ...message, content: [], stop_reason: null } }));
        const closed = new Promise<void>((r) => res.once("close", () => r()));
        await Promise.race([closed, delay(5000)]);
        if (!res.writableEnded) state.released = res.destroyed;
        res.end();
      }).start(),
    );
    const gw = await gateway(`upstreams:
  - { name: claude, type: anthropic, targets: [{ url: "${anthropic.url}" }], credentials: { apiKey: "k" } }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: claude, plugins: [{ name: bad, module: ./bad.mjs }] }
`, join(dir, "gateway.yaml"));
    for (const stream of [false, true]) {
      const res = await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { model: "claude-sonnet-4-5", stream }));
      expect({ stream, status: res.status }).toEqual({ stream, status: 500 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    }
    await until(() => state.released, "the upstream's stream to be released by the gateway");
  });

  it("a set value that expands to nothing removes the header (an anonymous caller cannot supply x-consumer)", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: public, upstream: svc, plugins: [{ name: request-headers, config: { set: { x-consumer: "\${consumer}" } } }] }
`);
    expect((await fetch(`${gw.url}/x`, { headers: { "x-consumer": "admin" } })).status).toBe(200);
    expect(up.last.headers["x-consumer"]).toBeUndefined();
  });
});

describe("cors", () => {
  const yaml = (upstreamUrl: string): string => `${AUTH}
upstreams: [{ name: svc, type: http, targets: [{ url: "${upstreamUrl}" }] }]
gateway:
  plugins:
    - name: cors
      config:
        origins: ["https://app.example.com", "https://*.tools.example.com"]
        methods: [GET, POST]
        headers: [authorization, content-type]
        exposeHeaders: [x-request-id]
        credentials: true
        maxAge: 10m
routes:
  - { name: api, match: { pathPrefix: /api }, auth: [keys], upstream: svc }
`;

  it("answers preflights itself (204, before auth) with the Access-Control-* headers", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(yaml(up.url));
    const res = await fetch(`${gw.url}/api/items`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "Authorization, Content-Type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(up.requests).toHaveLength(0);
    // A glob origin.
    const glob = await fetch(`${gw.url}/api/items`, { method: "OPTIONS", headers: { origin: "https://x.tools.example.com", "access-control-request-method": "GET" } });
    expect(glob.status).toBe(204);
    expect(glob.headers.get("access-control-allow-origin")).toBe("https://x.tools.example.com");
  });

  it("refuses a preflight from another origin, or for another method or header (403 in the error shape)", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(yaml(up.url));
    const preflights: Record<string, string>[] = [
      { origin: "https://evil.example.com", "access-control-request-method": "POST" },
      { origin: "https://app.example.com", "access-control-request-method": "DELETE" },
      { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "x-debug" },
    ];
    for (const headers of preflights) {
      const res = await fetch(`${gw.url}/api/items`, { method: "OPTIONS", headers });
      expect(res.status).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("cors_rejected");
    }
  });

  it("adds the headers to answers for an allowed origin: the upstream's, and the gateway's own 401", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(yaml(up.url));
    const ok = await fetch(`${gw.url}/api/items`, { headers: { origin: "https://app.example.com", authorization: `Bearer ${KEY_A}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("access-control-expose-headers")).toBe("x-request-id");
    expect(ok.headers.get("vary")).toBe("Origin");
    const denied = await fetch(`${gw.url}/api/items`, { headers: { origin: "https://app.example.com" } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const other = await fetch(`${gw.url}/api/items`, { headers: { origin: "https://evil.example.com", authorization: `Bearer ${KEY_A}` } });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("routes a preflight as the request it announces: a POST-only route that matches on model still gets its preflights", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(`upstreams: [{ name: openai, type: openai, targets: [{ url: "${up.url}" }] }]
gateway: { plugins: [{ name: cors, config: { origins: ["https://app.example.com"], methods: [POST] } }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions, methods: [POST], model: "gpt-*" }, upstream: openai }
`);
    const preflight = await fetch(`${gw.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("x-aigw-route")).toBe("chat");
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    // Not a preflight (no Access-Control-Request-Method): the route does not take OPTIONS.
    expect((await fetch(`${gw.url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin: "https://app.example.com" } })).status).toBe(404);
    const real = await post(`${gw.url}/v1/chat/completions`, chatBody("hi"), { origin: "https://app.example.com" });
    expect(real.status).toBe(200);
    expect(real.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("with every origin allowed and no credentials, answers `*`", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes: [{ name: api, upstream: svc, plugins: [{ name: cors, config: { origins: ["*"] } }] }]
`);
    const res = await fetch(`${gw.url}/x`, { headers: { origin: "https://anything.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("request-size", () => {
  it("413 in the error shape over maxBytes (declared length and chunked), the body intact under it", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes: [{ name: svc, upstream: svc, plugins: [{ name: request-size, config: { maxBytes: 100 } }] }]
`);
    const big = await fetch(`${gw.url}/x`, { method: "POST", body: "x".repeat(101) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    // Chunked (no Content-Length): read, bounded.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/x`, { method: "POST", headers: { "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("y".repeat(60));
      req.end("y".repeat(60));
    });
    expect(chunked).toBe(413);
    const small = await fetch(`${gw.url}/x`, { method: "POST", body: "z".repeat(100) });
    expect(small.status).toBe(200);
    expect(up.last.body).toBe("z".repeat(100));
    expect(up.requests).toHaveLength(1);
  });
});

describe("required-headers", () => {
  it("400 naming the missing header; forwarded when present", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes: [{ name: svc, upstream: svc, plugins: [{ name: required-headers, config: { headers: [x-tenant, X-Trace] } }] }]
`);
    const missing = await fetch(`${gw.url}/x`, { headers: { "x-tenant": "t1" } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: { code: "missing_header", message: "the request must carry the header x-trace" } });
    const ok = await fetch(`${gw.url}/x`, { headers: { "x-tenant": "t1", "x-trace": "abc" } });
    expect(ok.status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });
});

describe("json-schema", () => {
  const dir = mkdtempSync(join(tmpdir(), "aigw-json-schema-"));
  const schemaFile = join(dir, "order.schema.json");
  writeFileSync(
    schemaFile,
    JSON.stringify({
      type: "object",
      required: ["sku", "quantity"],
      additionalProperties: false,
      properties: { sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]+$" }, quantity: { type: "integer", minimum: 1 } },
    }),
  );
  const chatSchema = join(dir, "chat.schema.json");
  writeFileSync(chatSchema, JSON.stringify({ type: "object", required: ["messages"], properties: { temperature: { type: "number", maximum: 1 } } }));

  it("plain route: 400 with the first errors, invalid_body when not JSON, forwarded when valid", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes: [{ name: orders, upstream: svc, plugins: [{ name: json-schema, config: { schema: "${schemaFile}" } }] }]
`);
    const bad = await post(`${gw.url}/orders`, JSON.stringify({ sku: "abc", quantity: 0, note: "x" }));
    expect(bad.status).toBe(400);
    const err = ((await bad.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe("schema_validation_failed");
    expect(err.message).toContain("has an unexpected key \"note\"");
    expect(err.message).toContain("/sku must match pattern");
    expect(err.message).toContain("/quantity must be >= 1");
    const notJson = await post(`${gw.url}/orders`, "sku=ABC-1");
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe("invalid_body");
    const good = JSON.stringify({ sku: "ABC-12", quantity: 2 });
    expect((await post(`${gw.url}/orders`, good)).status).toBe(200);
    expect(up.requests).toHaveLength(1);
    expect(up.last.body).toBe(good);
  });

  it("AI route: errors in the OpenAI shape", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(`upstreams: [{ name: openai, type: openai, targets: [{ url: "${up.url}" }] }]
routes: [{ name: chat, match: { path: /v1/chat/completions }, upstream: openai, plugins: [{ name: json-schema, config: { schema: "${chatSchema}" } }] }]
`);
    const bad = await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { temperature: 1.5 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { type: string; code: string; param: null; message: string } };
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "schema_validation_failed", param: null });
    expect(body.error.message).toContain("/temperature must be <= 1");
    expect((await post(`${gw.url}/v1/chat/completions`, chatBody("hi"))).status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });
});

describe("ip-allow and ip-deny", () => {
  it("match the client address: 403 in the error shape when refused, IPv4", async () => {
    const up = await upstream(new FakeUpstream().start());
    const gw = await gateway(`upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: deny, match: { pathPrefix: /deny }, upstream: svc, plugins: [{ name: ip-deny, config: { cidrs: [127.0.0.0/8] } }] }
  - { name: allow-other, match: { pathPrefix: /allow-other }, upstream: svc, plugins: [{ name: ip-allow, config: { cidrs: [10.0.0.0/8, "2001:db8::/32"] } }] }
  - { name: allow-me, match: { pathPrefix: /allow-me }, upstream: svc, plugins: [{ name: ip-allow, config: { cidrs: [127.0.0.1] } }] }
`);
    const denied = await fetch(`${gw.url}/deny`);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("ip_denied");
    expect((await fetch(`${gw.url}/allow-other`)).status).toBe(403);
    expect((await fetch(`${gw.url}/allow-me`)).status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });

  it("honour trustProxy (the X-Forwarded-For client), IPv6 CIDRs included", async () => {
    const up = await upstream(new FakeUpstream().start());
    const routes = `upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: deny, upstream: svc, plugins: [{ name: ip-deny, config: { cidrs: ["2001:db8::/32", 203.0.113.0/24] } }] }
`;
    const trusted = await gateway(`server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, trustProxy: true, shutdown: { drainDelayMs: 0, graceMs: 1000 } }\n${routes}`);
    expect((await fetch(`${trusted.url}/x`, { headers: { "x-forwarded-for": "2001:db8::5" } })).status).toBe(403);
    expect((await fetch(`${trusted.url}/x`, { headers: { "x-forwarded-for": "203.0.113.9" } })).status).toBe(403);
    expect((await fetch(`${trusted.url}/x`, { headers: { "x-forwarded-for": "2001:db9::1" } })).status).toBe(200);
    // Without trustProxy the header is the client's word: the socket's address counts.
    const direct = await gateway(routes);
    expect((await fetch(`${direct.url}/x`, { headers: { "x-forwarded-for": "2001:db8::5" } })).status).toBe(200);
  });
});

describe("prompt-guard", () => {
  const config = (policy: string): string => `upstreams: [{ name: openai, type: openai, targets: [{ url: "UPSTREAM" }] }]
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: openai
    plugins: [{ name: prompt-guard, config: { policy: ${policy}, detectors: [email, phone, card, apiKey], patterns: ["(?i)project\\\\s+falcon", "POL-[0-9]{8}"] } }]
`;

  it("block: 400 prompt_blocked in the OpenAI error shape, and the upstream never sees the prompt", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(config("block").replace("UPSTREAM", up.url));
    for (const text of ["write to jane.doe@example.com", "my card is 4111-1111-1111-1111", "key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12", "about Project  Falcon", "policy POL-12345678"]) {
      const res = await post(`${gw.url}/v1/chat/completions`, chatBody(text));
      expect(res.status, text).toBe(400);
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "prompt_blocked" });
      expect(body.error.message).not.toContain("@example.com");
    }
    expect(up.requests).toHaveLength(0);
    expect((await post(`${gw.url}/v1/chat/completions`, chatBody("a harmless question, order 1234 5678"))).status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });

  it("redact: the upstream gets the rewritten JSON body (every role, text parts); numbers that fail Luhn stay", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(config("redact").replace("UPSTREAM", up.url));
    const body = JSON.stringify({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Support desk. Escalate to ops@example.com." },
        {
          role: "user",
          content: [
            { type: "text", text: "Call me at +1 415-555-0100 or (212) 555-0199, card 4111 1111 1111 1111, not 4111 1111 1111 1112." },
            { type: "text", text: "Key: AKIAABCDEFGHIJKLMNOP. Re: PROJECT FALCON, POL-87654321." },
          ],
        },
      ],
    });
    expect((await post(`${gw.url}/v1/chat/completions`, body)).status).toBe(200);
    const sent = JSON.parse(up.last.body) as { messages: { content: string | { text: string }[] }[] };
    expect(sent.messages[0]!.content).toBe("Support desk. Escalate to [EMAIL].");
    const parts = sent.messages[1]!.content as { text: string }[];
    expect(parts[0]!.text).toBe("Call me at [PHONE] or [PHONE], card [CARD], not 4111 1111 1111 1112.");
    expect(parts[1]!.text).toBe("Key: [API_KEY]. Re: [REDACTED], [REDACTED].");
    expect(up.last.headers["content-length"]).toBe(String(Buffer.byteLength(up.last.body)));
  });
});

describe("response-guard", () => {
  const route = (upstreamUrl: string, policy: string, type = "openai"): string => `upstreams: [{ name: up, type: ${type}, targets: [{ url: "${upstreamUrl}" }]${type === "anthropic" ? ', credentials: { apiKey: "sk-ant-test" }' : ""} }]
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: up
    plugins: [{ name: response-guard, config: { policy: ${policy}, detectors: [card, email], patterns: ["SECRET-[0-9]{6}"], window: 64 } }]
`;

  it("whole completions: redact rewrites the text, block answers 400 response_blocked", async () => {
    const up = await upstream(pieceUpstream(["Your card 4111 1111 1111 1111 is on file; write to bill@example.com."]).start());
    const redacting = await gateway(route(up.url, "redact"));
    const res = await post(`${redacting.url}/v1/chat/completions`, chatBody("card?"));
    expect(res.status).toBe(200);
    const completion = (await res.json()) as { choices: { message: { content: string } }[]; usage: unknown };
    expect(completion.choices[0]!.message.content).toBe("Your card [CARD] is on file; write to [EMAIL].");
    expect(completion.usage).toBeDefined();
    const blocking = await gateway(route(up.url, "block"));
    const blocked = await post(`${blocking.url}/v1/chat/completions`, chatBody("card?"));
    expect(blocked.status).toBe(400);
    const err = (await blocked.json()) as { error: { type: string; code: string; message: string } };
    expect(err.error).toMatchObject({ type: "invalid_request_error", code: "response_blocked" });
    expect(err.error.message).not.toContain("4111");
  });

  it("streams, redact: a card number and a pattern split across SSE chunks are still caught", async () => {
    const pieces = ["Sure. The card is 4111 11", "11 1111 1111 and the code", " is SECR", "ET-123456. Done", "."];
    const up = await upstream(pieceUpstream(pieces).start());
    const gw = await gateway(route(up.url, "redact"));
    const res = await post(`${gw.url}/v1/chat/completions`, chatBody("card?", { stream: true }));
    expect(res.status).toBe(200);
    const data = await events(res);
    expect(data.at(-1)).toBe("[DONE]");
    const text = assembled(data);
    expect(text).toBe("Sure. The card is [CARD] and the code is [REDACTED]. Done.");
    // No chunk carries any part of what was redacted.
    for (const d of data) {
      expect(d).not.toMatch(/4111|SECR|123456/);
    }
  });

  it("streams, block: an error event, no further content and no [DONE]; the upstream request is cut", async () => {
    const pieces = ["Hello! Reach me at jo", "hn@exam", "ple.com any time", " and more", " text after."];
    const state = { cut: false };
    const up = await upstream(pieceUpstream(pieces, 30, state).start());
    const gw = await gateway(route(up.url, "block"));
    const res = await post(`${gw.url}/v1/chat/completions`, chatBody("mail?", { stream: true }));
    expect(res.status).toBe(200);
    const data = await events(res);
    expect(data).not.toContain("[DONE]");
    const last = JSON.parse(data.at(-1)!) as { error: { code: string; type: string; message: string } };
    expect(last.error).toMatchObject({ code: "response_blocked", type: "invalid_request_error" });
    const before = assembled(data.slice(0, -1));
    expect(before).not.toContain("@");
    expect(before).not.toContain("more");
    expect("Hello! Reach me at john@example.com".startsWith(before)).toBe(true);
    await until(() => state.cut, "the upstream request to be cut", 5000);
    expect(state.cut).toBe(true);
  });

  it("streams from a translated provider (Anthropic text deltas) are scanned the same way", async () => {
    const up = await upstream(anthropicPieces(["Card: 5555 5555 ", "5555 4444 — keep it", " safe."]).start());
    const gw = await gateway(route(up.url, "redact", "anthropic"));
    const res = await post(`${gw.url}/v1/chat/completions`, JSON.stringify({ model: "claude-sonnet-4-5", stream: true, messages: [{ role: "user", content: "card?" }] }));
    expect(res.status).toBe(200);
    const data = await events(res);
    expect(data.at(-1)).toBe("[DONE]");
    expect(assembled(data)).toBe("Card: [CARD] — keep it safe.");
    for (const d of data) expect(d).not.toContain("5555");
  });
});

describe("max-tokens", () => {
  const yaml = (upstreamUrl: string, policy: string): string => `${AUTH}
upstreams: [{ name: openai, type: openai, targets: [{ url: "${upstreamUrl}" }] }]
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    auth: [keys]
    upstream: openai
    plugins: [{ name: max-tokens, config: { limit: 1000, policy: ${policy}, consumers: { team-a: 200 } } }]
`;

  it("clamp: larger values lowered to the caller's limit (per consumer), a request without one gets it", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(yaml(up.url, "clamp"));
    const sent = (): Record<string, unknown> => JSON.parse(up.last.body) as Record<string, unknown>;
    await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { max_tokens: 5000 }), { authorization: `Bearer ${KEY_B}` });
    expect(sent().max_tokens).toBe(1000);
    await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { max_completion_tokens: 5000 }), { authorization: `Bearer ${KEY_A}` });
    expect(sent().max_completion_tokens).toBe(200);
    await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { max_tokens: 50 }), { authorization: `Bearer ${KEY_A}` });
    expect(sent().max_tokens).toBe(50);
    await post(`${gw.url}/v1/chat/completions`, chatBody("hi"), { authorization: `Bearer ${KEY_B}` });
    expect(sent().max_completion_tokens).toBe(1000);
    expect(sent().max_tokens).toBeUndefined();
  });

  it("reject: 400 max_tokens_exceeded in the OpenAI shape, nothing sent upstream", async () => {
    const up = await upstream(fakeOpenAI());
    const gw = await gateway(yaml(up.url, "reject"));
    const res = await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { max_tokens: 500 }), { authorization: `Bearer ${KEY_A}` });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("max_tokens_exceeded");
    expect(body.error.message).toBe("max_tokens 500 is over the limit of 200 for team-a");
    expect(up.requests).toHaveLength(0);
    expect((await post(`${gw.url}/v1/chat/completions`, chatBody("hi", { max_tokens: 500 }), { authorization: `Bearer ${KEY_B}` })).status).toBe(200);
  });
});

describe("plugin phases", () => {
  it("fold into one stage on a route without auth, and stay two around auth; order and answers unchanged", async () => {
    const up = await upstream(new FakeUpstream().start());
    const plugins = `[{ name: request-headers, config: { set: { x-team: platform } } }, { name: response-headers, config: { set: { x-served-by: aigw } } }, { name: cors, config: { origins: ["https://app.example.com"] } }]`;
    const gw = await gateway(`${AUTH}
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: public, match: { pathPrefix: /public }, upstream: svc, plugins: ${plugins} }
  - { name: private, match: { pathPrefix: /private }, auth: [keys], upstream: svc, plugins: ${plugins} }
`);
    const stages = Object.fromEntries(gw.gateway.current!.routes.map((r) => [r.compiled.name, r.stages]));
    expect(stages).toEqual({ public: ["plugins:access", "proxy"], private: ["plugins:access", "auth", "plugins", "proxy"] });
    for (const [path, headers] of [["/public/x", {}], ["/private/x", { authorization: `Bearer ${KEY_A}` }]] as const) {
      const res = await fetch(`${gw.url}${path}`, { headers: { origin: "https://app.example.com", ...headers } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-served-by")).toBe("aigw");
      expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(up.last.headers["x-team"]).toBe("platform");
      const preflight = await fetch(`${gw.url}${path}`, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } });
      expect(preflight.status).toBe(204);
      // Answered in the access phase: the request phase (response-headers) was never entered, folded or not.
      expect(preflight.headers.get("x-served-by")).toBeNull();
    }
    expect(up.requests).toHaveLength(2);
  });
});

describe("routes without plugins", () => {
  it("compose no plugin stage (AI-only gateway plugins are left out of plain routes)", async () => {
    const gw = await gateway(`upstreams: [{ name: mock, type: mock }, { name: svc, type: http, targets: [{ url: "http://127.0.0.1:1" }] }]
gateway: { plugins: [{ name: prompt-guard, config: { detectors: [email] } }] }
routes:
  - { name: plain, match: { pathPrefix: /plain }, upstream: svc }
  - { name: chat, match: { path: /v1/chat/completions }, upstream: mock }
`);
    const stages = Object.fromEntries(gw.gateway.current!.routes.map((r) => [r.compiled.name, r.stages]));
    expect(stages).toEqual({ plain: ["proxy"], chat: ["plugins", "usage", "proxy"] });
  });
});
