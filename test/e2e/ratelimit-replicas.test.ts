import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { chat, RPM, TPM } from "../helpers/ratelimit-config.js";
import { rateLimitWorld } from "../helpers/ratelimit-world.js";

const world = rateLimitWorld();
const { cleanup } = world;
const config = world.config;

async function twoProcesses(yaml: string): Promise<[ChildGateway, ChildGateway]> {
  const dir = mkdtempSync(join(tmpdir(), "aigw-rl-"));
  writeFileSync(join(dir, "gateway.yaml"), yaml);
  const a = await spawnGateway(join(dir, "gateway.yaml"), { REDIS_URL: world.redis.url });
  cleanup.push(async () => (a.child.kill("SIGTERM"), a.exited));
  const b = await spawnGateway(join(dir, "gateway.yaml"), { REDIS_URL: world.redis.url });
  cleanup.push(async () => (b.child.kill("SIGTERM"), b.exited));
  return [a, b];
}

describe("30 per minute per consumer", () => {
  it("two processes sharing one Redis: exactly 30 of 100 sent concurrently to both", async () => {
    const [a, b] = await twoProcesses(config({ redis: { prefix: `t${Date.now()}:` }, policies: RPM, consumer: "rpm" }));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(i % 2 === 0 ? a.dataUrl : b.dataUrl).then((r) => r.status)));
    expect(results.filter((s) => s === 200)).toHaveLength(30);
    expect(results.filter((s) => s === 429)).toHaveLength(70);
  }, 30_000);
});

describe("1,000 tokens per minute, reconciled with real usage (120 tokens a call)", () => {
  it("two processes sharing Redis: exactly 9 of 100 (no leak by the replica count)", async () => {
    const [a, b] = await twoProcesses(config({ redis: { prefix: `tpm${Date.now()}:` }, policies: TPM, consumer: "tpm" }));
    let allowed = 0;
    for (let i = 0; i < 100; i++) if ((await chat(i % 2 === 0 ? a.dataUrl : b.dataUrl, i % 3 === 0)).status === 200) allowed++;
    expect(allowed).toBe(9);
  }, 60_000);
});
