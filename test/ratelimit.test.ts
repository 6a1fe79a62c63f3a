import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "./helpers/child.js";
import { fakeOpenAI } from "./helpers/fake-openai.js";
import type { FakeUpstream } from "./helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";
import { RedisServer } from "./helpers/redis.js";

const KEY = "sk-rate-limit-test-key-0001";
const sha = createHash("sha256").update(KEY).digest("hex");

let redis: RedisServer;
let openai: FakeUpstream;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await new RedisServer().start();
  openai = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
});
afterAll(async () => {
  await redis?.stop();
  await openai?.close();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function config(options: { redis?: { prefix: string; onError?: "allow" | "deny"; timeoutMs?: number }; policies: string; route?: string; consumer?: string }): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
${options.redis === undefined ? "" : `state:\n  redis: { url: "\${REDIS_URL}", keyPrefix: "${options.redis.prefix}", onError: ${options.redis.onError ?? "allow"}, timeoutMs: ${options.redis.timeoutMs ?? 250} }`}
observability:
  logs: { accessLog: false }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k1, consumer: team-a, sha256: "${sha}" }]
consumers:
  - { name: team-a, rateLimits: [${options.consumer ?? ""}] }
rateLimits:
${options.policies}
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${openai.url}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: openai, rateLimits: [${options.route ?? ""}] }
`;
}

const chatBody = (stream = false) =>
  JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], max_tokens: 20, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });

async function chat(url: string, stream = false): Promise<Response> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: chatBody(stream) });
  await res.clone().text();
  return res;
}

async function inProcess(yaml: string): Promise<TestGateway> {
  const gw = await startTestGateway(yaml, { env: { REDIS_URL: redis.url } });
  cleanup.push(() => gw.close());
  return gw;
}

async function twoProcesses(yaml: string): Promise<[ChildGateway, ChildGateway]> {
  const dir = mkdtempSync(join(tmpdir(), "aigw-rl-"));
  writeFileSync(join(dir, "gateway.yaml"), yaml);
  const a = await spawnGateway(join(dir, "gateway.yaml"), { REDIS_URL: redis.url });
  cleanup.push(async () => (a.child.kill("SIGTERM"), a.exited));
  const b = await spawnGateway(join(dir, "gateway.yaml"), { REDIS_URL: redis.url });
  cleanup.push(async () => (b.child.kill("SIGTERM"), b.exited));
  return [a, b];
}

const RPM = `  - { name: rpm, algorithm: sliding_window, limit: 30, window: 1m, key: consumer }`;
const TPM = `  - { name: tpm, algorithm: sliding_window, limit: 1000, window: 1m, key: consumer, cost: tokens }`;

describe("30 per minute per consumer", () => {
  it("in memory, one process: exactly 30 of 100, with the documented 429", async () => {
    const gw = await inProcess(config({ policies: RPM, consumer: "rpm" }));
    const statuses: number[] = [];
    let last429: Response | undefined;
    let firstOk: Response | undefined;
    for (let i = 0; i < 100; i++) {
      const res = await chat(gw.url);
      statuses.push(res.status);
      if (res.status === 429) last429 = res;
      else firstOk ??= res;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(70);
    expect(firstOk!.headers.get("ratelimit-policy")).toBe('"rpm";q=30;w=60');
    expect(firstOk!.headers.get("ratelimit")).toMatch(/^"rpm";r=29;t=\d+$/);
    expect(firstOk!.headers.get("x-ratelimit-limit-requests")).toBe("30");
    expect(firstOk!.headers.get("x-ratelimit-remaining-requests")).toBe("29");
    expect(Number(last429!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(last429!.headers.get("ratelimit")).toMatch(/^"rpm";r=0;t=\d+$/);
    const body = (await last429!.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded", param: null });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_rate_limit_hits_total\{policy="rpm",mode="enforce"\} 70/);
  });

  it("two processes sharing one Redis: exactly 30 of 100 sent concurrently to both", async () => {
    const [a, b] = await twoProcesses(config({ redis: { prefix: `t${Date.now()}:` }, policies: RPM, consumer: "rpm" }));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(i % 2 === 0 ? a.dataUrl : b.dataUrl).then((r) => r.status)));
    expect(results.filter((s) => s === 200)).toHaveLength(30);
    expect(results.filter((s) => s === 429)).toHaveLength(70);
  }, 30_000);
});

describe("1,000 tokens per minute, reconciled with real usage (120 tokens a call)", () => {
  // 8 calls use 960 tokens; the 9th is admitted (tokens are left) and crosses
  // 1,000; the 10th and every later one are refused.
  it.each([false, true])("in memory (streaming: %s): the request after the one that crossed it is refused", async (stream) => {
    const gw = await inProcess(config({ policies: TPM, consumer: "tpm" }));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await chat(gw.url, stream)).status);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(200));
    expect(statuses.slice(9)).toEqual(Array(11).fill(429));
  });

  it("remaining tokens really go down in x-ratelimit-remaining-tokens", async () => {
    const gw = await inProcess(config({ policies: TPM, consumer: "tpm" }));
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push(Number((await chat(gw.url)).headers.get("x-ratelimit-remaining-tokens")));
    expect(seen[1]! - seen[2]!).toBe(120);
    expect(seen[2]! - seen[3]!).toBe(120);
  });

  it("two processes sharing Redis: exactly 9 of 100 (no leak by the replica count)", async () => {
    const [a, b] = await twoProcesses(config({ redis: { prefix: `tpm${Date.now()}:` }, policies: TPM, consumer: "tpm" }));
    let allowed = 0;
    for (let i = 0; i < 100; i++) if ((await chat(i % 2 === 0 ? a.dataUrl : b.dataUrl, i % 3 === 0)).status === 200) allowed++;
    expect(allowed).toBe(9);
  }, 60_000);
});

describe("Redis outages", () => {
  it("onError allow keeps answering 200 within the timeout; limits apply again when Redis is back", async () => {
    const outage = await new RedisServer().start();
    cleanup.push(() => outage.stop());
    const gw = await startTestGateway(config({ redis: { prefix: "o:", onError: "allow", timeoutMs: 200 }, policies: RPM.replace("limit: 30", "limit: 3"), consumer: "rpm" }), { env: { REDIS_URL: outage.url } });
    cleanup.push(() => gw.close());
    for (let i = 0; i < 3; i++) expect((await chat(gw.url)).status).toBe(200);
    expect((await chat(gw.url)).status).toBe(429);
    await outage.stop();
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      expect((await chat(gw.url)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    await outage.start();
    let status = 200;
    for (let i = 0; i < 60 && status !== 429; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await chat(gw.url)).status;
    }
    expect(status).toBe(429);
  }, 30_000);

  it("onError deny answers 503 in the error shape", async () => {
    const outage = await new RedisServer().start();
    cleanup.push(() => outage.stop());
    const gw = await startTestGateway(config({ redis: { prefix: "d:", onError: "deny", timeoutMs: 200 }, policies: RPM, consumer: "rpm" }), { env: { REDIS_URL: outage.url } });
    cleanup.push(() => gw.close());
    expect((await chat(gw.url)).status).toBe(200);
    await outage.stop();
    const res = await chat(gw.url);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: Record<string, unknown> }).error).toMatchObject({ code: "rate_limit_unavailable", type: "service_unavailable_error" });
    await outage.start();
    let status = 503;
    for (let i = 0; i < 60 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await chat(gw.url)).status;
    }
    expect(status).toBe(200);
  }, 30_000);
});

describe("reloads", () => {
  it("keeps the counters of an unchanged policy and starts a changed one afresh", async () => {
    const { buildSnapshot } = await import("../src/compile/build.js");
    const yaml = (limit: number, note: string) => config({ policies: RPM.replace("limit: 30", `limit: ${limit}`), consumer: "rpm" }) + `# ${note}\n`;
    const gw = await inProcess(yaml(3, "v1"));
    for (let i = 0; i < 3; i++) expect((await chat(gw.url)).status).toBe(200);
    expect((await chat(gw.url)).status).toBe(429);
    const reload = async (text: string) => {
      const r = buildSnapshot(text.replace("${REDIS_URL}", redis.url), "g.yaml", { mode: "serve", env: {}, fileExists: () => true });
      await gw.gateway.apply(r.snapshot!);
    };
    await reload(yaml(3, "v2: an unrelated change").replace("accessLog: false", "accessLog: false, level: warn"));
    expect((await chat(gw.url)).status).toBe(429);
    await reload(yaml(4, "v3: the policy changed"));
    expect((await chat(gw.url)).status).toBe(200);
  });
});
