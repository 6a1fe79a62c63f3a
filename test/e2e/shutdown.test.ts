import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { until } from "../helpers/until.js";

let up: FakeUpstream | undefined;
let gw: ChildGateway | undefined;

afterEach(async () => {
  if (gw !== undefined && gw.child.exitCode === null) gw.child.kill("SIGKILL");
  gw = undefined;
  await up?.close();
});

function writeConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "aigw-shutdown-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("graceful shutdown of `aigw serve` (a real process)", () => {
  it("lets an in-flight 500 ms request finish with 200 on SIGTERM, then exits 0", async () => {
    up = await new FakeUpstream(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 500)); // a slow upstream: the request is in flight when SIGTERM comes
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("finished");
    }).start();
    const file = writeConfig(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 100, graceMs: 5000 }
upstreams:
  - { name: slow, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: slow }
`);
    gw = await spawnGateway(file);
    const inFlight = fetch(`${gw.dataUrl}/work`);
    await until(() => up!.requests.length > 0, "the request to reach the upstream");
    expect(up.requests).toHaveLength(1);
    gw.child.kill("SIGTERM");
    // The signal's effect, however soon it lands: /ready stops answering 200.
    const g = gw;
    const ready = await until(async () => {
      const r = await fetch(`${g.adminUrl}/ready`).catch(() => null);
      return r?.status !== 200 && { status: r?.status };
    }, "/ready to turn on SIGTERM", 3000);
    expect(ready.status).toBe(503);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("finished");
    expect(await gw.exited).toBe(0);
    expect(gw.logs.map((l) => l.msg)).toContain("shutdown complete");
  });

  it("cuts requests still running when graceMs is over, and still exits 0", async () => {
    up = await new FakeUpstream(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5000)); // slower than graceMs
      res.end("too late");
    }).start();
    const file = writeConfig(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 300 }
upstreams:
  - { name: slow, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: slow }
`);
    gw = await spawnGateway(file);
    const inFlight = fetch(`${gw.dataUrl}/work`).then(
      (r) => r.status,
      () => "cut",
    );
    await until(() => up!.requests.length > 0, "the request to reach the upstream");
    const started = Date.now();
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await inFlight).toBe("cut");
  });

  it("exits 1 without listening when the first config is invalid", async () => {
    const file = writeConfig(`version: 1
routes:
  - { name: r, upstream: nowhere }
`);
    await expect(spawnGateway(file)).rejects.toThrow(/exited \(1\)[\s\S]*route\.upstream\.unknown/);
  });
});
