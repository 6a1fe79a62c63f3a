import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closedPort, FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { until } from "../helpers/until.js";

let gw: TestGateway | undefined;
const upstreams: FakeUpstream[] = [];

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function fake(handler?: ConstructorParameters<typeof FakeUpstream>[0]): Promise<FakeUpstream> {
  const u = await new FakeUpstream(handler).start();
  upstreams.push(u);
  return u;
}

/** A raw HTTP/1.1 request, so tests control every header (fetch refuses hop-by-hop ones). */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: options.method ?? "GET", path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("aigw serve: proxying", () => {
  it("forwards method, path, query, headers and body, and tags the response", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: items, match: { pathPrefix: /items }, upstream: svc }
`);
    const res = await fetch(`${gw.url}/items/42?x=1&y=%20z`, {
      method: "PUT",
      headers: { "content-type": "application/json", "x-custom": "abc" },
      body: JSON.stringify({ hello: "world" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigw-route")).toBe("items");
    expect(res.headers.get("x-aigw-upstream")).toBe("svc");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const seen = up.last;
    expect(seen.method).toBe("PUT");
    expect(seen.url).toBe("/items/42?x=1&y=%20z");
    expect(seen.body).toBe('{"hello":"world"}');
    expect(seen.headers["x-custom"]).toBe("abc");
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers.host).toBe(new URL(up.url).host);
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe(new URL(gw.url).host);
    expect(seen.headers["x-request-id"]).toBe(res.headers.get("x-request-id"));
  });

  it("streams a large request body without buffering it and GETs with no body", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
    const big = "x".repeat(3 * 1024 * 1024);
    const res = await fetch(`${gw.url}/upload`, { method: "POST", body: big });
    expect(res.status).toBe(200);
    expect(up.last.body.length).toBe(big.length);
    const get = await fetch(`${gw.url}/plain`);
    expect(get.status).toBe(200);
    expect(up.last.method).toBe("GET");
    expect(up.last.body).toBe("");
  });

  it("the upstream's key replaces the client's credentials; a route rule cannot put back what the upstream owns", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: azure, type: http, targets: [{ url: "${up.url}" }], credentials: { apiKey: upstream-key, header: api-key }, consumerHeader: x-who }
  - { name: bearer, type: http, targets: [{ url: "${up.url}" }], credentials: { apiKey: upstream-key } }
routes:
  - name: azure
    match: { pathPrefix: /azure }
    upstream: azure
    headers: { request: { set: { authorization: "Bearer from-rule", x-who: from-rule, x-keep: kept } } }
  - { name: bearer, match: { pathPrefix: /bearer }, upstream: bearer }
`);
    const client = { authorization: "Bearer client-key", "api-key": "client-key", "x-api-key": "client-key", "x-who": "spoofed" };
    expect((await fetch(`${gw.url}/azure/x`, { headers: client })).status).toBe(200);
    expect(up.last.headers["api-key"]).toBe("upstream-key");
    expect(up.last.headers.authorization).toBeUndefined();
    expect(up.last.headers["x-who"]).toBeUndefined();
    expect(up.last.headers["x-keep"]).toBe("kept");
    expect(up.last.headers["x-api-key"]).toBe("client-key");
    expect((await fetch(`${gw.url}/bearer/x`, { headers: client })).status).toBe(200);
    expect(up.last.headers.authorization).toBe("Bearer upstream-key");
    expect(up.last.headers["x-api-key"]).toBeUndefined();
    expect(up.last.headers["x-who"]).toBe("spoofed");
  });

  it("reads a small body with a Content-Length before it contacts the upstream; a large one streams", async () => {
    const { createServer } = await import("node:http");
    const seen: { at: "headers" | "end"; bytes: number }[] = [];
    const upstream = createServer((req, res) => {
      seen.push({ at: "headers", bytes: 0 });
      let bytes = 0;
      req.on("data", (c: Buffer) => (bytes += c.length));
      req.on("end", () => {
        seen.push({ at: "end", bytes });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as { port: number }).port;
    try {
      gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "http://127.0.0.1:${port}" }] }
routes:
  - { name: all, upstream: svc }
`);
      // `streams`: wait for the upstream to hear the request before sending the rest; otherwise
      // give it a window in which it must hear nothing (a negative can only be watched for a while).
      const sendInTwoParts = async (size: number, streams: boolean): Promise<{ beforeRest: number; status: string }> => {
        seen.length = 0;
        const socket = connect(Number(new URL(gw!.url).port), "127.0.0.1");
        await new Promise((r) => socket.once("connect", r));
        const half = "x".repeat(size / 2);
        socket.write(`POST /upload HTTP/1.1\r\nhost: gw\r\ncontent-length: ${size}\r\nconnection: close\r\n\r\n${half}`);
        if (streams) await until(() => seen.length > 0, "the upstream to get the request's headers", 5_000);
        else await new Promise((r) => setTimeout(r, 300));
        const beforeRest = seen.length;
        let answer = "";
        socket.on("data", (c: Buffer) => (answer += c.toString()));
        const closed = new Promise((r) => socket.once("close", r));
        socket.write(half);
        await closed;
        return { beforeRest, status: answer.split("\r\n")[0]! };
      };
      // 10 bytes: the upstream hears nothing until the whole body is in.
      const small = await sendInTwoParts(10, false);
      expect(small.beforeRest).toBe(0);
      expect(small.status).toBe("HTTP/1.1 200 OK");
      expect(seen).toEqual([{ at: "headers", bytes: 0 }, { at: "end", bytes: 10 }]);
      // 256 KiB: the upstream has the request (and the first half) while the client is still sending.
      const large = await sendInTwoParts(256 * 1024, true);
      expect(large.beforeRest).toBe(1);
      expect(large.status).toBe("HTTP/1.1 200 OK");
      expect(seen.at(-1)).toEqual({ at: "end", bytes: 256 * 1024 });
    } finally {
      upstream.close();
    }
  });

  it("strips a prefix at a segment boundary, adds a prefix and the target's base path, never above /", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}/base/" }] }
routes:
  - name: analytics
    match: { pathPrefix: /v1/analytics/ }
    upstream: svc
    rewrite: { stripPrefix: /v1/analytics }
  - name: legacy
    match: { pathPrefix: /old }
    upstream: svc
    rewrite: { stripPrefix: /old, prefix: /new/api }
`);
    await fetch(`${gw.url}/v1/analytics/reports/7?q=1`);
    expect(up.last.url).toBe("/base/reports/7?q=1");
    await fetch(`${gw.url}/v1/analytics`);
    expect(up.last.url).toBe("/base/");
    await fetch(`${gw.url}/v1/analytics/../analytics/x`);
    expect(up.last.url).toBe("/base/x");
    await fetch(`${gw.url}/old/thing`);
    expect(up.last.url).toBe("/base/new/api/thing");
    const climb = await raw(gw.url, { path: "/v1/analytics/%2e%2e/%2e%2e/etc/passwd" });
    expect(up.last.url).not.toContain("etc/passwd");
    expect(climb.status).toBe(404);
  });

  it("applies precedence: exact beats prefix, longer prefix beats shorter, file order for the same path", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: short, match: { pathPrefix: /api }, upstream: svc }
  - { name: long, match: { pathPrefix: /api/v2 }, upstream: svc }
  - { name: exact, match: { path: /api/v2/health }, upstream: svc }
  - { name: posts-only, match: { path: /api/v2/items, methods: [POST] }, upstream: svc }
  - { name: items-any, match: { path: /api/v2/items }, upstream: svc }
`);
    const route = async (path: string, method = "GET") => (await fetch(`${gw!.url}${path}`, { method })).headers.get("x-aigw-route");
    expect(await route("/api/v2/health")).toBe("exact");
    expect(await route("/api/v2/other")).toBe("long");
    expect(await route("/api/v2")).toBe("long");
    expect(await route("/api/v2x")).toBe("short");
    expect(await route("/api/v1/x")).toBe("short");
    expect(await route("/api/v2/items", "POST")).toBe("posts-only");
    expect(await route("/api/v2/items", "GET")).toBe("items-any");
  });

  it("strips hop-by-hop headers both ways, including those named in Connection", async () => {
    const up = await fake((_req, res) => {
      res.setHeader("x-resp-private", "1");
      res.setHeader("connection", "x-resp-private");
      res.setHeader("x-kept", "yes");
      res.end("ok");
    });
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
    const res = await raw(gw.url, {
      path: "/hop",
      headers: {
        connection: "keep-alive, x-private",
        "x-private": "secret-hop",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic abc",
        te: "trailers",
        upgrade: "websocket",
        "x-end-to-end": "kept",
      },
    });
    expect(res.status).toBe(200);
    const seen = up.last.headers;
    expect(seen["x-private"]).toBeUndefined();
    expect(seen["proxy-authorization"]).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen.upgrade).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen["x-end-to-end"]).toBe("kept");
    expect(res.headers["x-resp-private"]).toBeUndefined();
    expect(res.headers["x-kept"]).toBe("yes");
  });

  it("keeps a client's x-request-id and generates one otherwise", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
    const kept = await fetch(`${gw.url}/a`, { headers: { "x-request-id": "client-req-123" } });
    expect(kept.headers.get("x-request-id")).toBe("client-req-123");
    expect(up.last.headers["x-request-id"]).toBe("client-req-123");
    const made = await fetch(`${gw.url}/a`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const access = gw.logs.filter((l) => l.type === "access");
    expect(access.map((l) => l.requestId)).toContain("client-req-123");
  });

  it("applies route header rules to the request and the response", async () => {
    const up = await fake((_req, res) => {
      res.setHeader("server", "leaky/1.0");
      res.end("ok");
    });
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - name: all
    upstream: svc
    headers:
      request: { set: { x-team: analytics }, remove: [x-drop-me] }
      response: { remove: [server], add: { x-served-by: aigw } }
`);
    const res = await fetch(`${gw.url}/h`, { headers: { "x-drop-me": "1" } });
    expect(up.last.headers["x-team"]).toBe("analytics");
    expect(up.last.headers["x-drop-me"]).toBeUndefined();
    expect(res.headers.get("server")).toBeNull();
    expect(res.headers.get("x-served-by")).toBe("aigw");
  });
});

describe("aigw serve: errors in the documented shapes", () => {
  it("answers 404 for no route: plain shape on other routes, OpenAI shape on AI paths", async () => {
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: m, type: mock }
routes:
  - { name: chat, match: { path: /v1/chat/completions, model: "gpt-*" }, upstream: m }
`);
    const plain = await fetch(`${gw.url}/nowhere`);
    expect(plain.status).toBe(404);
    expect(await plain.json()).toEqual({ error: { code: "route_not_found", message: "no route for GET /nowhere" } });
    const ai = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "claude-x", messages: [] }) });
    expect(ai.status).toBe(404);
    const body = (await ai.json()) as any;
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found" });
    expect(body.error.message).toContain("claude-x");
  });

  it("answers 400 for a path with an encoded slash", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
    const res = await raw(gw.url, { path: "/a%2Fb" });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe("invalid_path");
    expect(up.requests).toHaveLength(0);
  });

  it("answers 413 for a declared or streamed body over maxBodyBytes", async () => {
    const up = await fake();
    gw = await startTestGateway(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  limits: { maxBodyBytes: 1000 }
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
  - { name: m, type: mock }
routes:
  - { name: ai, match: { path: /v1/chat/completions, model: "*" }, upstream: m }
  - { name: all, upstream: svc }
`);
    const declared = await fetch(`${gw.url}/upload`, { method: "POST", body: "x".repeat(2000) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).error.code).toBe("payload_too_large");
    const ai = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", pad: "x".repeat(2000) }) });
    expect(ai.status).toBe(413);
    expect(((await ai.json()) as any).error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    const chunked = await new Promise<number>((resolve, reject) => {
      const u = new URL(gw!.url);
      const req = httpRequest({ host: u.hostname, port: u.port, method: "POST", path: "/upload", headers: { "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("y".repeat(800));
      req.end("y".repeat(800));
    });
    expect(chunked).toBe(413);
  });

  it("answers 502 when the upstream refuses connections", async () => {
    const port = await closedPort();
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: down, type: http, targets: [{ url: "http://127.0.0.1:${port}" }] }
routes:
  - { name: all, upstream: down }
`);
    const res = await fetch(`${gw.url}/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get("x-aigw-upstream")).toBe("down");
    const body = (await res.json()) as any;
    expect(body).toEqual({ error: { code: "upstream_connect_error", message: expect.stringContaining("down") } });
    expect(JSON.stringify(body)).not.toMatch(/at \w+ \(/); // never a stack trace
  });

  it("answers 504 when the upstream is slower than the route's timeout", async () => {
    const up = await fake(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 2000));
      res.end("late");
    });
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: slow, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: slow, timeoutMs: 200 }
`);
    const started = Date.now();
    const res = await fetch(`${gw.url}/x`);
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.code).toBe("upstream_timeout");
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("aigw serve: streaming and cancellation", () => {
  it("delivers SSE chunks before the upstream has finished", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let upstreamFinished = false;
    const up = await fake(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"n":1}\n\n');
      await released;
      res.write('data: {"n":2}\n\n');
      upstreamFinished = true;
      res.end("data: [DONE]\n\n");
    });
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: sse, upstream: svc }
`);
    const res = await fetch(`${gw.url}/stream`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('{"n":1}');
    expect(upstreamFinished).toBe(false);
    release();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('{"n":2}');
    expect(rest).toContain("[DONE]");
  });

  it("closes the upstream request when the client aborts", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const up = await fake((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: start\n\n");
      res.on("close", () => upstreamClosed());
      // never ends on its own
    });
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: sse, upstream: svc }
`);
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/stream`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(Promise.race([closed.then(() => "closed"), new Promise((r) => setTimeout(() => r("timeout"), 3000))])).resolves.toBe("closed");
  });

  it("answers from the built-in mock: chat, streaming chat, embeddings, models", async () => {
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: m, type: mock, models: [mock-1] }
routes:
  - { name: ai, match: { pathPrefix: /v1 }, upstream: m }
`);
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "ping" }] }),
    });
    const body = (await chat.json()) as any;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.content).toContain("ping");
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    const stream = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "ping" }] }),
    });
    const text = await stream.text();
    expect(text.startsWith("data: ")).toBe(true);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const emb: any = await (await fetch(`${gw.url}/v1/embeddings`, { method: "POST", body: JSON.stringify({ model: "e", input: ["a", "b"], dimensions: 4 }) })).json();
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0].embedding).toHaveLength(4);
    const models: any = await (await fetch(`${gw.url}/v1/models`)).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(["mock-1"]);
  });
});

describe("aigw serve: admin listener", () => {
  it("serves health, readiness, metrics and the canonical config", async () => {
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: m, type: mock }
routes:
  - { name: r, upstream: m }
`);
    expect((await fetch(`${gw.adminUrl}/health`)).status).toBe(200);
    const ready: any = await (await fetch(`${gw.adminUrl}/ready`)).json();
    expect(ready.status).toBe("ready");
    await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }) });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_http_requests_total\{route="r",method="POST",status_class="2xx"\} 1/);
    expect(metrics).toMatch(/aigw_config_info\{hash="[0-9a-f]{12}"\} 1/);
    const config: any = await (await fetch(`${gw.adminUrl}/admin/config`)).json();
    expect(config.hash).toBe(ready.hash);
    expect(new Date(config.loadedAt).toISOString()).toBe(config.loadedAt);
    expect(config.config.routes[0].name).toBe("r");
  });

  it("guards /admin/* with bearer tokens and roles when adminAuth is set", async () => {
    gw = await startTestGateway(
      `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  adminAuth:
    tokens:
      - { value: "\${ADMIN_TOKEN}", role: viewer }
upstreams:
  - { name: m, type: mock }
routes:
  - { name: r, upstream: m }
`,
      { env: { ADMIN_TOKEN: "admin-secret-token-123" } },
    );
    const none = await fetch(`${gw.adminUrl}/admin/config`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await fetch(`${gw.adminUrl}/admin/config`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${gw.adminUrl}/admin/config`, { headers: { authorization: "Bearer admin-secret-token-123" } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).not.toContain("admin-secret-token-123");
    expect((await fetch(`${gw.adminUrl}/health`)).status).toBe(200);
  });
});

describe("aigw serve: TCP-level", () => {
  it("survives garbage on the socket", async () => {
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: m, type: mock }
routes:
  - { name: r, upstream: m }
`);
    const u = new URL(gw.url);
    const reply = await new Promise<string>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => s.write("NOT HTTP AT ALL\r\n\r\n"));
      let data = "";
      s.on("data", (d) => (data += d.toString()));
      s.on("close", () => resolve(data));
      s.on("error", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(200);
  });
});
