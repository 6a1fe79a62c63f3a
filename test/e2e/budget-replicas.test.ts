import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import type { FakeUpstream } from "../helpers/fake-upstream.js";
import { RedisServer } from "../helpers/redis.js";

describe("budgets and usage shared through Redis by two gateway processes", () => {
  let redis: RedisServer;
  let up: FakeUpstream;
  const kids: ChildGateway[] = [];
  const KEY = "sk-shared-budget-key-000001";

  beforeAll(async () => {
    redis = await new RedisServer().start();
    up = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
  });
  afterEach(async () => {
    for (const k of kids.splice(0)) {
      k.child.kill("SIGTERM");
      await k.exited;
    }
  });
  afterAll(async () => {
    await redis?.stop();
    await up?.close();
  });

  it("the budget holds exactly across both, and /v1/usage equals the sum of the fake's usage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-budget-"));
    const file = join(dir, "gateway.yaml");
    writeFileSync(
      file,
      `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 2000 } }
state:
  redis: { url: "\${REDIS_URL}", keyPrefix: "budget${Date.now()}:" }
observability: { logs: { accessLog: false } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k, consumer: acme, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }]
consumers:
  - { name: acme, budget: { usd: 0.004, period: month } }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${up.url}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: openai }
pricing:
  - { model: "gpt-*", input: 2.5, output: 10 }
`,
    );
    // One at a time: a gateway already started is stopped by afterEach even when the next fails to start.
    kids.push(await spawnGateway(file, { REDIS_URL: redis.url }));
    kids.push(await spawnGateway(file, { REDIS_URL: redis.url }));
    const [a, b] = kids as [ChildGateway, ChildGateway];
    // $0.00045 a call: 8 calls spend $0.0036; the 9th is allowed (below $0.004) and crosses it; the 10th is refused.
    let allowed = 0;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${(i % 2 === 0 ? a : b).dataUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", stream: i % 3 === 0, messages: [{ role: "user", content: "Hi" }] }),
      });
      await res.text();
      if (res.status === 200) allowed++;
      else expect(res.status).toBe(429);
    }
    expect(allowed).toBe(9);
    for (const g of [a, b]) {
      const usage = (await (await fetch(`${g.dataUrl}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Record<string, number>;
      expect(usage).toMatchObject({ requests: 9, inputTokens: 900, outputTokens: 180 });
      expect(usage.costUsd).toBeCloseTo(9 * 0.00045, 9);
    }
  }, 30_000);
});
