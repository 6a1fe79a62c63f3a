import { describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { chat, RPM, TPM } from "../helpers/ratelimit-config.js";
import { rateLimitWorld } from "../helpers/ratelimit-world.js";
import { RedisServer } from "../helpers/redis.js";
import { until } from "../helpers/until.js";

const world = rateLimitWorld();
const { cleanup } = world;
const config = world.config;

async function inProcess(yaml: string): Promise<TestGateway> {
  const gw = await startTestGateway(yaml, { env: { REDIS_URL: world.redis.url } });
  cleanup.push(() => gw.close());
  return gw;
}

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
    // The client reconnects on its own back-off: poll with requests until the limit bites again.
    const status = await until(async () => ((await chat(gw.url)).status === 429 ? 429 : undefined), "a 429 once Redis is back", 15_000, 100);
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
    const status = await until(async () => ((await chat(gw.url)).status === 200 ? 200 : undefined), "a 200 once Redis is back", 15_000, 100);
    expect(status).toBe(200);
  }, 30_000);
});

describe("reloads", () => {
  it("keeps the counters of an unchanged policy and starts a changed one afresh", async () => {
    const { buildSnapshot } = await import("../../src/compile/build.js");
    const yaml = (limit: number, note: string) => config({ policies: RPM.replace("limit: 30", `limit: ${limit}`), consumer: "rpm" }) + `# ${note}\n`;
    const gw = await inProcess(yaml(3, "v1"));
    for (let i = 0; i < 3; i++) expect((await chat(gw.url)).status).toBe(200);
    expect((await chat(gw.url)).status).toBe(429);
    const reload = async (text: string) => {
      const r = buildSnapshot(text.replace("${REDIS_URL}", world.redis.url), "g.yaml", { mode: "serve", env: {}, fileExists: () => true });
      await gw.gateway.apply(r.snapshot!);
    };
    await reload(yaml(3, "v2: an unrelated change").replace("accessLog: false", "accessLog: false, level: warn"));
    expect((await chat(gw.url)).status).toBe(429);
    await reload(yaml(4, "v3: the policy changed"));
    expect((await chat(gw.url)).status).toBe(200);
  });
});
