import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { sample } from "../helpers/prometheus.js";
import { logLine, logLines } from "../helpers/until.js";

const KEY = "sk-metrics-team-a-0000000000001";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

describe("metrics of the aigw serve process", () => {
  let child: ChildGateway | undefined;
  const dir = mkdtempSync(join(tmpdir(), "aigw-metrics-"));
  afterAll(() => {
    if (child?.child.exitCode === null) child.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts reloads, labels consumers when asked, serves process metrics, and turns off", async () => {
    const file = join(dir, "gateway.yaml");
    const config = (extra: string, enabled = true) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { metrics: { consumerLabel: true, enabled: ${enabled} } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "${sha(KEY)}" }]
consumers: [{ name: team-a }]
upstreams: [{ name: m, type: mock }]
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: m }
${extra}`;
    writeFileSync(file, config(""));
    child = await spawnGateway(file);
    const call = () =>
      fetch(`${child!.dataUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }),
      });
    expect((await call()).status).toBe(200);
    writeFileSync(file, "version: 1\nroutes: [ {name: broken");
    child.child.kill("SIGHUP");
    await logLine(child.logs, (l) => String(l.msg).startsWith("config reload failed"));
    writeFileSync(file, config("  - { name: extra, match: { pathPrefix: /extra }, upstream: m }"));
    child.child.kill("SIGHUP");
    await logLine(child.logs, (l) => l.msg === "config reloaded");

    const text = await (await fetch(`${child.adminUrl}/metrics`)).text();
    expect(sample(text, "aigw_config_reloads_total", { result: "success" })).toBe(2); // start + reload
    // The broken write is seen by the watcher and by SIGHUP: one or two failed attempts.
    expect(sample(text, "aigw_config_reloads_total", { result: "failure" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "aigw_http_requests_total", { route: "chat", status_class: "2xx", consumer: "team-a" })).toBe(1);
    expect(sample(text, "aigw_tokens_total", { type: "input", model: "unpriced", consumer: "team-a" })).toBeGreaterThan(0);
    expect(sample(text, "aigw_process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(sample(text, "aigw_nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);

    writeFileSync(file, config("", false));
    child.child.kill("SIGHUP");
    await logLines(child.logs, (l) => l.msg === "config reloaded", 2);
    expect((await fetch(`${child.adminUrl}/metrics`)).status).toBe(404);
    child.child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});
