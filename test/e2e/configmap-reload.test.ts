import { existsSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, stopGateway, type ChildGateway } from "../helpers/child.js";
import { until } from "../helpers/until.js";

/**
 * A running `aigw serve` (a real child process) reads its config from a
 * folder laid out as kubelet lays out a mounted ConfigMap (the chart and
 * examples/kubernetes mount it as a directory at /etc/aigw):
 *
 *   ..2026_11_22_10_00_00.123/gateway.yaml
 *   ..data -> ..2026_11_22_10_00_00.123
 *   gateway.yaml -> ..data/gateway.yaml
 *
 * and kubelet's atomic update (AtomicWriter): a new timestamped folder, a
 * `..data_tmp` symlink to it renamed over `..data`, the old folder removed.
 * While requests flow, the new config must be live on /admin/config (and in
 * `aigw_config_info`) within 2 s, with no failed request.
 */

const TOKEN = "configmap-reload-test-token-0123456789";

let gw: ChildGateway | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (gw !== undefined) await stopGateway(gw, 5000);
  gw = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The chart's shape (admin behind a token from the environment), on loopback ports 0. */
function config(generation: number): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminAuth:
    tokens:
      - { id: chart, value: "\${AIGW_ADMIN_TOKEN}", role: operator }
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
observability:
  logs: { level: info, accessLog: false }
upstreams:
  - name: mock
    type: mock
    models: [mock-1, mock-1-mini${generation > 1 ? ", mock-2" : ""}]
routes:
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: mock
    headers: { response: { set: { x-config-generation: "${generation}" } } }
pricing:
  - { model: "mock-*", input: 0, output: 0 }
`;
}

/** A ConfigMap volume as kubelet writes it, updated the way kubelet updates it. */
class ConfigMapVolume {
  private current: string;

  constructor(readonly dir: string, text: string) {
    this.current = this.writeTimestamped("..2026_11_22_10_00_00.123", text);
    symlinkSync(this.current, join(dir, "..data"));
    symlinkSync(join("..data", "gateway.yaml"), join(dir, "gateway.yaml"));
  }

  get file(): string {
    return join(this.dir, "gateway.yaml");
  }

  get data(): string {
    return readlinkSync(join(this.dir, "..data"));
  }

  private writeTimestamped(name: string, text: string): string {
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, "gateway.yaml"), text);
    return name;
  }

  update(timestamp: string, text: string): void {
    const next = this.writeTimestamped(timestamp, text);
    symlinkSync(next, join(this.dir, "..data_tmp"));
    renameSync(join(this.dir, "..data_tmp"), join(this.dir, "..data")); // atomic: readers see old or new
    rmSync(join(this.dir, this.current), { recursive: true, force: true });
    this.current = next;
  }
}

interface LoopReport {
  requests: number;
  failures: number;
  firstFailure?: string;
  /** Answers per x-config-generation. */
  generations: Record<string, number>;
}

/** `clients` loops sending chat completions back to back until stopped. */
function requestLoop(url: string, clients: number): { readonly report: LoopReport; stop(): Promise<LoopReport> } {
  const report: LoopReport = { requests: 0, failures: 0, generations: {} };
  let running = true;
  const body = JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] });
  const loop = async (): Promise<void> => {
    while (running) {
      report.requests++;
      try {
        const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5000) });
        const text = await res.text();
        if (res.status !== 200) {
          report.failures++;
          report.firstFailure ??= `status ${res.status}: ${text.slice(0, 200)}`;
          continue;
        }
        const generation = res.headers.get("x-config-generation") ?? "-";
        report.generations[generation] = (report.generations[generation] ?? 0) + 1;
      } catch (err) {
        report.failures++;
        report.firstFailure ??= String(err);
      }
    }
  };
  const loops = Array.from({ length: clients }, () => loop());
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function liveHash(g: ChildGateway): Promise<string> {
  const res = await fetch(`${g.adminUrl}/admin/config`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { hash: string }).hash;
}

/** Polls /admin/config until the hash changes; the time it took, in ms. */
async function waitForNewHash(g: ChildGateway, old: string, limitMs: number): Promise<{ hash: string; ms: number }> {
  const started = performance.now();
  const hash = await until(async () => {
    const h = await liveHash(g);
    return h !== old && h;
  }, `a hash other than ${old}`, limitMs, 20);
  return { hash, ms: performance.now() - started };
}

describe("Kubernetes ConfigMap update (kubelet's ..data swap)", () => {
  it("reloads a running gateway within 2 s, twice, with no failed request", async () => {
    dir = mkdtempSync(join(tmpdir(), "aigw-configmap-"));
    const volume = new ConfigMapVolume(dir, config(1));
    expect(volume.data).toBe("..2026_11_22_10_00_00.123");
    gw = await spawnGateway(volume.file, { AIGW_ADMIN_TOKEN: TOKEN });

    // The probes the chart uses need no token; /admin/* does.
    expect((await fetch(`${gw.adminUrl}/health`)).status).toBe(200);
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
    expect((await fetch(`${gw.adminUrl}/admin/config`)).status).toBe(401);
    const first = await liveHash(gw);

    // Each step waits for traffic on the generation it made, not for a time.
    const load = requestLoop(gw.dataUrl, 4);
    const servedBy = (generation: string) => until(() => (load.report.generations[generation] ?? 0) > 0, `an answer from generation ${generation}`);
    await servedBy("1");

    volume.update("..2026_11_22_10_01_00.456", config(2));
    expect(volume.data).toBe("..2026_11_22_10_01_00.456");
    expect(existsSync(join(dir, "..2026_11_22_10_00_00.123"))).toBe(false);
    const second = await waitForNewHash(gw, first, 2000);
    expect(second.ms).toBeLessThan(2000);

    // The metric a dashboard compares across replicas: the first 12 hex digits.
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`aigw_config_info{hash="${second.hash.replace("sha256:", "").slice(0, 12)}"} 1`);
    expect(metrics.match(/^aigw_config_info\{/gm), "one series: the old hash is gone").toHaveLength(1);
    await servedBy("2");

    // Again: the folder the first real path lived in is gone by now.
    volume.update("..2026_11_22_10_02_00.789", config(3));
    const third = await waitForNewHash(gw, second.hash, 2000);
    expect(third.ms).toBeLessThan(2000);
    await servedBy("3");

    const report = await load.stop();
    expect(report.failures, report.firstFailure).toBe(0);
    expect(report.requests).toBeGreaterThan(0);
    // Requests were served by each generation, the last one included.
    expect(report.generations["1"] ?? 0).toBeGreaterThan(0);
    expect(report.generations["3"] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(report.generations).every((g) => ["1", "2", "3"].includes(g)), JSON.stringify(report.generations)).toBe(true);

    const models = (await (await fetch(`${gw.dataUrl}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain("mock-2");
    const reloads = /aigw_config_reloads_total\{result="success"\} (\d+)/.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text());
    expect(Number(reloads?.[1] ?? 0)).toBeGreaterThanOrEqual(2);
    expect(gw.child.exitCode).toBeNull();
    console.log(`configmap reload: ${Math.round(second.ms)} ms and ${Math.round(third.ms)} ms to the new hash; ${report.requests} requests, ${report.failures} failed, by generation ${JSON.stringify(report.generations)}`);
  }, 30_000);
});
