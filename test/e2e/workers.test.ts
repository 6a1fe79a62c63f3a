import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { workerCount } from "../../src/cli/commands/serve.js";
import { spawnGateway, stopGateway, type ChildGateway } from "../helpers/child.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { until } from "../helpers/until.js";

/**
 * `aigw serve --workers 2` as a real process tree: the primary (config,
 * admin listener) and two node:cluster workers sharing the data port.
 * Every request here opens its own connection (the cluster hands out
 * connections round-robin, so keep-alive would pin a client to one worker).
 */

const CHAT = JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] });

let gw: ChildGateway | undefined;
let dir: string | undefined;
let up: FakeUpstream | undefined;
/** Worker PIDs these tests saw: killed too if the primary could not clean up. */
const workerPids = new Set<number>();

afterEach(async () => {
  if (gw !== undefined) await stopGateway(gw);
  for (const pid of workerPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone (the normal case)
    }
  }
  workerPids.clear();
  gw = undefined;
  await up?.close();
  up = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function config(generation: number, extra = ""): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 3000 }
upstreams:
  - { name: mock, type: mock, models: [mock-1] }
routes:
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: mock
    headers: { response: { set: { x-config-generation: "${generation}" } } }
${extra}`;
}

async function start(text: string): Promise<{ gw: ChildGateway; file: string; pids: number[] }> {
  dir = mkdtempSync(join(tmpdir(), "aigw-workers-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, text);
  gw = await spawnGateway(file, {}, ["--workers", "2"]);
  const listening = gw.logs.find((l) => l.msg === "aigw listening")!;
  const pids = listening.pids as number[];
  for (const pid of pids) workerPids.add(pid);
  return { gw, file, pids };
}

/** One POST on a connection of its own. */
function post(url: string, path: string, body: string, timeoutMs = 5000, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", agent: false, headers: { "content-type": "application/json", connection: "close", ...headers }, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

interface Readiness {
  status: string;
  hash?: string;
  workers: { worker: number; pid: number; state: string; hash: string | null }[];
}

async function ready(adminUrl: string): Promise<{ code: number; body: Readiness }> {
  const res = await fetch(`${adminUrl}/ready`);
  return { code: res.status, body: (await res.json()) as Readiness };
}

/** `name{labels} value` lines of a metric, summed. */
function sum(metrics: string, name: string, filter = ""): number {
  return metrics
    .split("\n")
    .filter((l) => l.startsWith(name) && (l[name.length] === "{" || l[name.length] === " ") && l.includes(filter))
    .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

const accessPids = (g: ChildGateway): Set<unknown> => new Set(g.logs.filter((l) => l.type === "access" && l.route === "chat").map((l) => l.pid));

describe("aigw serve --workers 2 (real processes)", () => {
  it("serves from both workers, lists them per worker, and sums their metrics", async () => {
    const { gw, pids } = await start(config(1));
    expect(pids).toHaveLength(2);
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await post(gw.dataUrl, "/v1/chat/completions", CHAT));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));

    const r = await ready(gw.adminUrl);
    expect(r.code).toBe(200);
    expect(r.body.workers.map((w) => w.pid).sort()).toEqual([...pids].sort());
    expect(new Set(r.body.workers.map((w) => w.hash))).toEqual(new Set([r.body.hash]));

    const upstreams = (await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json()) as { workers: { pid: number; upstreams: { name: string }[] }[] };
    expect(upstreams.workers).toHaveLength(2);
    for (const w of upstreams.workers) expect(w.upstreams.map((u) => u.name)).toEqual(["mock"]);

    // A request is counted when its response closes, just after the client has it.
    let metrics = "";
    await until(
      async () => {
        metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
        return sum(metrics, "aigw_http_requests_total", 'route="chat"') >= 30;
      },
      "30 requests in the metrics",
      3000,
    );
    expect(sum(metrics, "aigw_http_requests_total", 'route="chat"')).toBe(30);
    expect(sum(metrics, "aigw_config_reloads_total", 'result="success"')).toBe(1);
    expect(sum(metrics, "aigw_cluster_workers")).toBe(2);
    expect(metrics).toMatch(/^aigw_config_info\{hash="[0-9a-f]{12}"\} 1$/m);

    // Both workers answered (the access log names each line's pid).
    await until(() => accessPids(gw).size === 2, "access lines from both workers", 3000);
    expect(accessPids(gw)).toEqual(new Set(pids));

    // SIGHUP is the primary's business: a worker that gets one carries on.
    process.kill(pids[1]!, "SIGHUP");
    // A request sent after the signal and answered by that worker shows it lived through it.
    let n = 0;
    await until(async () => {
      await post(gw.dataUrl, "/v1/chat/completions", CHAT, 5000, { "x-request-id": `after-hup-${++n}` });
      return gw.logs.some((l) => l.type === "access" && l.pid === pids[1] && String(l.requestId).startsWith("after-hup-"));
    }, "a request answered by the worker that got SIGHUP");
    expect(() => process.kill(pids[1]!, 0)).not.toThrow();
    expect((await ready(gw.adminUrl)).body.workers.map((w) => w.pid).sort()).toEqual([...pids].sort());
  });

  it("keeps a worker that cannot apply a config on its running one, counts it, and /ready says so", async () => {
    // A plugin whose create() throws in worker 2 only (the primary never runs create()).
    const picky = (generation: number) =>
      config(generation).replace("    upstream: mock\n", '    upstream: mock\n    plugins: [{ name: picky, module: ./picky.mjs, config: { failIn: "2" } }]\n');
    dir = mkdtempSync(join(tmpdir(), "aigw-workers-"));
    writeFileSync(
      join(dir, "picky.mjs"),
      `export default {
  name: "picky",
  schema: { type: "object", properties: { failIn: { type: "string" } } },
  create(config) {
    if (process.env.AIGW_WORKER_SLOT === config.failIn) throw new Error("picky refuses this worker");
    return {};
  },
};
`,
    );
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, config(1));
    gw = await spawnGateway(file, {}, ["--workers", "2"]);
    const g = gw;
    for (const pid of g.logs.find((l) => l.msg === "aigw listening")!.pids as number[]) workerPids.add(pid);
    const before = (await ready(g.adminUrl)).body.hash;
    writeFileSync(file, picky(2));
    await until(() => g.logs.some((l) => l.msg === "config reloaded"), "the reload", 8000);
    const r = await ready(g.adminUrl);
    expect(r.code).toBe(503);
    expect(r.body.status).toBe("out_of_date");
    expect(r.body.hash).not.toBe(before);
    expect(r.body.workers.map((w) => [w.worker, w.hash === r.body.hash ? "new" : w.hash === before ? "old" : w.hash])).toEqual([
      [1, "new"],
      [2, "old"],
    ]);
    // Worker lines reach stdout within the 250 ms flush interval.
    await until(() => g.logs.some((l) => l.worker === 2 && String(l.msg).includes("picky refuses this worker")), "worker 2's error line", 3000);
    const generations = new Set<string>();
    for (let i = 0; i < 40 && generations.size < 2; i++) {
      const res = await post(g.dataUrl, "/v1/chat/completions", CHAT);
      expect(res.status).toBe(200);
      generations.add(String(res.headers["x-config-generation"]));
    }
    expect(generations).toEqual(new Set(["1", "2"]));
    const metrics = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(sum(metrics, "aigw_cluster_worker_apply_failures_total")).toBe(1);

    // Fixed: both converge and /ready is 200 again.
    writeFileSync(file, config(3));
    await until(async () => (await ready(g.adminUrl)).code === 200, "both workers on generation 3", 8000);
  });

  it("reloads every worker from the text the primary validated, with no failed request; a bad config changes nothing", async () => {
    const { gw, file } = await start(config(1));
    const before = (await ready(gw.adminUrl)).body.hash;
    let running = true;
    const report = { requests: 0, failures: [] as string[], generations: new Set<string>() };
    const loop = async (): Promise<void> => {
      while (running) {
        report.requests++;
        try {
          const res = await post(gw.dataUrl, "/v1/chat/completions", CHAT);
          if (res.status !== 200) report.failures.push(`${res.status} ${res.body}`);
          else report.generations.add(String(res.headers["x-config-generation"]));
        } catch (err) {
          report.failures.push(String(err));
        }
      }
    };
    const loops = [loop(), loop(), loop()];
    await until(() => report.generations.has("1"), "traffic on generation 1");
    writeFileSync(file, config(2));
    await until(
      async () => {
        const r = await ready(gw.adminUrl);
        return r.code === 200 && r.body.hash !== before && r.body.workers.length === 2 && r.body.workers.every((w) => w.hash === r.body.hash);
      },
      "both workers on the new config",
      8000,
    );
    await until(() => report.generations.has("2"), "traffic on generation 2");
    running = false;
    await Promise.all(loops);
    expect(report.failures).toEqual([]);
    expect(report.generations.has("2")).toBe(true);
    const after = await ready(gw.adminUrl);
    for (let i = 0; i < 6; i++) expect((await post(gw.dataUrl, "/v1/chat/completions", CHAT)).headers["x-config-generation"]).toBe("2");

    // An invalid config: the reload fails in the primary; every worker keeps generation 2.
    writeFileSync(file, config(3, "  - { name: broken, upstream: nowhere }\n"));
    await until(
      () => gw.logs.some((l) => typeof l.msg === "string" && l.msg.startsWith("config reload failed")),
      "the failed reload",
      8000,
    );
    const still = await ready(gw.adminUrl);
    expect(still.code).toBe(200);
    expect(still.body.hash).toBe(after.body.hash);
    expect(still.body.workers.every((w) => w.hash === after.body.hash)).toBe(true);
    for (let i = 0; i < 6; i++) expect((await post(gw.dataUrl, "/v1/chat/completions", CHAT)).headers["x-config-generation"]).toBe("2");
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(sum(metrics, "aigw_config_reloads_total", 'result="failure"')).toBe(1);
  });

  it("forks a new worker with the current config when one is killed", async () => {
    const { gw, file, pids } = await start(config(1));
    // A reload first, so the replacement must get the current config, not the one the primary started with.
    writeFileSync(file, config(2));
    await until(
      async () => {
        const r = await ready(gw.adminUrl);
        return r.code === 200 && r.body.workers.every((w) => w.hash === r.body.hash) && gw.logs.some((l) => l.msg === "config reloaded");
      },
      "the reload",
      8000,
    );
    const victim = pids[0]!;
    process.kill(victim, "SIGKILL");
    let replacement: number | undefined;
    await until(
      async () => {
        const r = await ready(gw.adminUrl);
        const fresh = r.body.workers.find((w) => !pids.includes(w.pid));
        if (fresh !== undefined) workerPids.add(fresh.pid);
        replacement = fresh?.pid;
        return r.code === 200 && r.body.workers.length === 2 && fresh?.state === "serving";
      },
      "a replacement worker",
      10_000,
    );
    expect(gw.logs.some((l) => l.msg === "a worker exited unexpectedly: forking a new one" && l.pid === victim)).toBe(true);
    const r = await ready(gw.adminUrl);
    expect(r.body.workers.every((w) => w.hash === r.body.hash)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const res = await post(gw.dataUrl, "/v1/chat/completions", CHAT);
      expect(res.status).toBe(200);
      expect(res.headers["x-config-generation"]).toBe("2");
    }
    await until(() => accessPids(gw).has(replacement), "an access line from the replacement", 3000);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(sum(metrics, "aigw_cluster_worker_restarts_total")).toBe(1);
  });

  it("drains every worker on SIGTERM (in-flight requests finish), then exits 0", async () => {
    up = await new FakeUpstream(async (_req, res) => {
      await delay(600); // a slow upstream: the requests are in flight when SIGTERM comes
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("finished");
    }).start();
    const { gw, pids } = await start(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 200, graceMs: 5000 }
upstreams:
  - { name: slow, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: slow }
`);
    // Enough requests on fresh connections that both workers hold some.
    const inFlight = Array.from({ length: 6 }, () => post(gw.dataUrl, "/work", ""));
    await until(() => up!.requests.length === 6, "the requests to reach the upstream", 3000);
    gw.child.kill("SIGTERM");
    // The signal's effect, however soon it lands: /ready stops answering 200.
    const during = await until(async () => {
      const r = await ready(gw.adminUrl);
      return r.code !== 200 && r;
    }, "/ready to turn on SIGTERM", 3000);
    expect(during.code).toBe(503);
    expect(during.body.status).toBe("draining");
    const results = await Promise.all(inFlight);
    expect(results.map((r) => `${r.status} ${r.body}`)).toEqual(Array(6).fill("200 finished"));
    expect(await gw.exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(new Set(gw.logs.filter((l) => l.type === "access").map((l) => l.pid))).toEqual(new Set(pids));
    const drained = new Set(gw.logs.filter((l) => l.msg === "shutdown complete").map((l) => l.pid ?? "primary"));
    expect(drained).toEqual(new Set([...pids, "primary"]));
  });

  it("takes its workers down with it when the primary is killed", async () => {
    const { gw, pids } = await start(config(1));
    gw.child.kill("SIGKILL");
    await gw.exited;
    await until(
      () =>
        pids.every((pid) => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }),
      "the workers to exit",
      5000,
    );
  });

  it("rejects a bad --workers value as a usage error", async () => {
    dir = mkdtempSync(join(tmpdir(), "aigw-workers-"));
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, config(1));
    await expect(spawnGateway(file, {}, ["--workers", "0"])).rejects.toThrow(/--workers must be an integer from 1 to 9999 or "auto", not "0"/);
  });
});

describe("workerCount (--workers, AIGW_WORKERS)", () => {
  it("defaults to 1, reads the flag before the environment, and counts CPUs for auto", () => {
    const cpus = () => 6;
    expect(workerCount(undefined, {}, cpus)).toBe(1);
    expect(workerCount(undefined, { AIGW_WORKERS: "" }, cpus)).toBe(1);
    expect(workerCount(undefined, { AIGW_WORKERS: "3" }, cpus)).toBe(3);
    expect(workerCount("2", { AIGW_WORKERS: "3" }, cpus)).toBe(2);
    expect(workerCount("auto", {}, cpus)).toBe(6);
    expect(workerCount(undefined, { AIGW_WORKERS: "AUTO" }, cpus)).toBe(6);
    expect(() => workerCount("0", {}, cpus)).toThrow(/--workers must be an integer/);
    expect(() => workerCount("1.5", {}, cpus)).toThrow(/--workers/);
    expect(() => workerCount(undefined, { AIGW_WORKERS: "many" }, cpus)).toThrow(/AIGW_WORKERS must be an integer/);
  });
});
