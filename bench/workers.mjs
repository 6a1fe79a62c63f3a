// What `aigw serve --workers 2` buys over one process (issue 13): the same
// full-pipeline config served by a plain `aigw serve` (1 worker) and by
// `aigw serve --workers 2` (a node:cluster primary + 2 workers on one port).
// The route is an AI route (openai upstream type, the fake upstream
// bench/proxy-upstream.mjs, non-streaming chat JSON) behind API-key auth
// with an in-memory token bucket per consumer, metrics on and the access
// log on, written to a file (the gateway's stdout goes to a file).
//
// On a small machine the load generator (autocannon, in this process) and
// the upstream share the cores with the gateway, so raw req/s understates
// what a second worker gives. Three figures, each the median over runs
// (the two modes interleaved, 1w, 2w, 1w, 2w, …):
//   1. raw req/s, 2 workers ÷ 1 worker;
//   2. the gateway's CPU per request: /proc/<pid>/stat utime+stime summed
//      over every gateway process (primary and workers);
//   3. capacity with the other processes' share taken out: req/s ÷ (gateway
//      CPU cores used) × cores given to the gateway (1 for one process, 2 for
//      two workers), i.e. (R2/C2·2) ÷ (R1/C1·1), the speed-up if the gateway
//      had its cores to itself (the primary's own CPU, which accepts the
//      connections, is counted in C2). A lower bound: the one process is
//      saturated, the two workers are not (the load generator and the
//      upstream hold part of the cores), and an event loop spends more CPU
//      per request the fewer requests it gets per turn.
//   4. the same load per process: open loop (lib.mjs openLoop) at RATE_EACH
//      req/s to the one process and 2 × RATE_EACH to the two workers,
//      interleaved; 2 × (CPU per request of one ÷ that of two, primary
//      included), the median over runs: the speed-up when each process
//      carries what the one did, with nothing saturated.
// Nothing is pinned (two workers need both cores). On a quiet machine with
// more cores, the raw ratio is the one to trust.
//
//   npm run build && node bench/workers.mjs [--quick] [--json]
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { CHAT_BODY as body, cpuMs, firstLine, load, median, openLoop, start, stopAll } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 2 : 7;
const SECONDS = QUICK ? 3 : 6;
const CONNECTIONS = 50;
const RATE_EACH = 1500;
const KEY = "sk-bench-key-0000000000000000001";
const log = (text) => JSON_OUT || process.stderr.write(`${text}\n`);

const config = (upstream) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { metrics: { enabled: true }, logs: { level: info, accessLog: true } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k, consumer: team-a, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }]
consumers:
  - { name: team-a }
rateLimits:
  - { name: per-consumer, algorithm: token_bucket, limit: 100000000, window: 1s, key: consumer }
upstreams:
  - { name: ai, type: openai, models: ["gpt-4o-mini*"], targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], rateLimits: [per-consumer], upstream: ai }
pricing:
  - { model: "gpt-4o-mini*", input: 0.15, output: 0.6 }
`;

/** `aigw serve` (unpinned) with its stdout (access log included) to a file; resolves to its URL and every gateway PID. */
async function startServe(yaml, workers) {
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-workers-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, yaml);
  const args = ["bin/aigw", "serve", "--config", file, "--no-watch", ...(workers > 1 ? ["--workers", String(workers)] : [])];
  const child = start(args, undefined, {}, join(dir, "stdout.log"));
  const v = await firstLine(child, (line) => line.msg === "aigw listening", 20_000);
  return { url: `${v.data}/v1/chat/completions`, pids: [child.pid, ...(v.pids ?? [])] };
}

const gatewayCpuMs = (pids) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
/** Busy CPU time of the whole machine, in ms (/proc/stat: user + nice + system, 10 ms ticks). */
const machineBusyMs = () => {
  const [user, nice, system] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system) * 10;
};
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

try {
  const up = start(["bench/proxy-upstream.mjs"]);
  const upstream = `http://127.0.0.1:${(await firstLine(up, (v) => typeof v.port === "number")).port}`;
  const modes = [
    { name: "1 worker", given: 1, ...(await startServe(config(upstream), 1)) },
    { name: "2 workers", given: 2, ...(await startServe(config(upstream), 2)) },
  ];
  const headers = { authorization: `Bearer ${KEY}` };
  for (const m of modes) await load(m.url, { body, headers, connections: CONNECTIONS, seconds: 2 });
  const runs = Object.fromEntries(modes.map((m) => [m.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const m of modes) {
      const cpu0 = gatewayCpuMs(m.pids);
      const self0 = selfCpuMs();
      const up0 = cpuMs(up.pid);
      const busy0 = machineBusyMs();
      const t0 = performance.now();
      const res = await load(m.url, { body, headers, connections: CONNECTIONS, seconds: SECONDS });
      const wallMs = performance.now() - t0;
      const gatewayMs = gatewayCpuMs(m.pids) - cpu0;
      const rps = res.requests.total / (wallMs / 1000);
      const cores = gatewayMs / wallMs;
      const upstreamMs = cpuMs(up.pid) - up0;
      const selfMs = selfCpuMs() - self0;
      const otherCores = Math.max(0, machineBusyMs() - busy0 - gatewayMs - upstreamMs - selfMs) / wallMs;
      runs[m.name].push({
        rps,
        cores,
        cpuUsPerRequest: (gatewayMs * 1000) / res.requests.total,
        capacity: (rps / cores) * m.given,
        loadGeneratorCores: selfMs / wallMs,
        upstreamCores: upstreamMs / wallMs,
        otherCores,
      });
    }
    log(`  run ${run + 1}/${RUNS} done`);
  }
  // 4. the same load per process, open loop.
  const perProcess = Object.fromEntries(modes.map((m) => [m.name, []]));
  for (const m of modes) await openLoop(m.url, { rate: RATE_EACH * m.given, seconds: 2, body, headers });
  for (let run = 0; run < RUNS; run++) {
    for (const m of modes) {
      const cpu0 = gatewayCpuMs(m.pids);
      const r = await openLoop(m.url, { rate: RATE_EACH * m.given, seconds: SECONDS, body, headers });
      if (r.failures > 0) throw new Error(`${m.name}: ${r.failures} failed requests at ${RATE_EACH * m.given} req/s`);
      perProcess[m.name].push({ rps: r.rps, cpuUsPerRequest: ((gatewayCpuMs(m.pids) - cpu0) * 1000) / r.count, p50: r.p50 });
    }
    log(`  same load per process: run ${run + 1}/${RUNS} done`);
  }
  const med = (name, key) => median(runs[name].map((r) => r[key]));
  const perRun = (key) => median(runs["2 workers"].map((r, i) => r[key] / runs["1 worker"][i][key]));
  const table = Object.fromEntries(
    modes.map((m) => [
      m.name,
      {
        rps: Math.round(med(m.name, "rps")),
        gatewayCores: Number(med(m.name, "cores").toFixed(2)),
        cpuUsPerRequest: Number(med(m.name, "cpuUsPerRequest").toFixed(1)),
        capacity: Math.round(med(m.name, "capacity")),
        loadGeneratorCores: Number(med(m.name, "loadGeneratorCores").toFixed(2)),
        upstreamCores: Number(med(m.name, "upstreamCores").toFixed(2)),
      },
    ]),
  );
  const result = {
    cpus: cpus().length,
    runs: RUNS,
    seconds: SECONDS,
    connections: CONNECTIONS,
    modes: table,
    otherProcessesMaxCores: Number(Math.max(...Object.values(runs).flat().map((r) => r.otherCores)).toFixed(2)),
    ratios: {
      rawRps: Number(perRun("rps").toFixed(3)),
      cpuPerRequest: Number(perRun("cpuUsPerRequest").toFixed(3)),
      capacity: Number(perRun("capacity").toFixed(3)),
      sameLoadPerProcess: Number(median(perProcess["2 workers"].map((r, i) => (2 * perProcess["1 worker"][i].cpuUsPerRequest) / r.cpuUsPerRequest)).toFixed(3)),
    },
    sameLoadPerProcess: Object.fromEntries(
      modes.map((m) => [m.name, { rate: RATE_EACH * m.given, cpuUsPerRequest: Number(median(perProcess[m.name].map((r) => r.cpuUsPerRequest)).toFixed(1)), p50: Number(median(perProcess[m.name].map((r) => r.p50)).toFixed(3)) }]),
    ),
  };
  if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`aigw serve: 1 worker vs --workers 2 (${result.cpus} CPUs; median of ${RUNS} × ${SECONDS} s, ${CONNECTIONS} connections, interleaved)`);
    console.log(`  ${"mode".padEnd(10)} ${"req/s".padStart(7)} ${"gw cores".padStart(9)} ${"gw CPU µs/req".padStart(14)} ${"capacity".padStart(9)} ${"loadgen cores".padStart(14)} ${"upstream cores".padStart(15)}`);
    for (const [name, v] of Object.entries(table)) {
      console.log(
        `  ${name.padEnd(10)} ${String(v.rps).padStart(7)} ${v.gatewayCores.toFixed(2).padStart(9)} ${v.cpuUsPerRequest.toFixed(1).padStart(14)} ${String(v.capacity).padStart(9)} ${v.loadGeneratorCores.toFixed(2).padStart(14)} ${v.upstreamCores.toFixed(2).padStart(15)}`,
      );
    }
    console.log(`1. raw req/s, 2 workers ÷ 1 worker:                       ${result.ratios.rawRps.toFixed(2)}×`);
    console.log(`2. gateway CPU per request, 2 workers ÷ 1 worker:          ${result.ratios.cpuPerRequest.toFixed(2)}× (primary + workers; > 1 = the cluster's overhead)`);
    console.log(`3. capacity (R2/C2·2) ÷ (R1/C1·1), gateway on its own cores: ${result.ratios.capacity.toFixed(2)}×`);
    console.log("   capacity = req/s ÷ gateway CPU cores used × cores given to the gateway (1 or 2); a lower bound (the workers are not saturated)");
    const same = result.sameLoadPerProcess;
    console.log(`4. same load per process (open loop, ${same["1 worker"].rate} req/s to 1 worker, ${same["2 workers"].rate} to 2; CPU µs/req ${same["1 worker"].cpuUsPerRequest} and ${same["2 workers"].cpuUsPerRequest}):`);
    console.log(`   2 × (CPU per request of 1 ÷ of 2), median of the runs:  ${result.ratios.sameLoadPerProcess.toFixed(2)}×`);
    const other = result.otherProcessesMaxCores;
    console.log(`other processes on the machine: at most ${(other * 100).toFixed(0)}% of a CPU during a run${other >= 0.1 ? " -- figures are skewed, run again on a quiet machine" : ""}`);
  }
} finally {
  stopAll();
}
