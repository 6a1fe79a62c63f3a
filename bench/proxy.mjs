// Data-plane benchmark: `npm run bench` (= `npm run build && node bench/proxy.mjs`).
//
//   node bench/proxy.mjs            full run (about 4 minutes)
//   node bench/proxy.mjs --quick    smoke check: 1 run of 3 s per cell
//   node bench/proxy.mjs --json     the report goes to stderr, all figures as JSON to stdout
//   node bench/proxy.mjs --node-flags="--optimize-for-size"   experiment: extra node flags for the gateway
//   node bench/proxy.mjs --no-access-log                       experiment: the gateway's access log off
//
// Four servers, each its own child process (none shares an event loop with
// the load generator, autocannon, which runs in this process):
//   upstream    bench/proxy-upstream.mjs: fixed ~600-byte chat.completion, or 20 SSE chunks
//   floor       bench/proxy-floor.mjs: node:http + one undici Pool, response
//               body through stream.pipeline, nothing else
//   floor-pipe  the same with Readable#pipe instead of stream.pipeline (on
//               Node 20, pipeline costs an AbortController and a DOMException
//               per call: this is the tighter floor)
//   gateway     `node bin/aigw serve` on a generated config, access log on (to a file)
// With taskset and 2+ CPUs: the floors and the gateway on CPU 0, upstream and
// this process on CPU 1.
//
// 1. throughput: direct / floor / floor-pipe / gateway × JSON / SSE, 50
//    connections, a discarded warm-up, then runs interleaved across targets; medians.
// 2. fixed rate: 500 req/s, open loop (lib.mjs interleavedOpenLoop),
//    p50/p99 (non-streaming) of direct, the relay (bench/proxy-relay.mjs:
//    bytes piped, no HTTP), nginx (when installed), floor-pipe and the
//    gateway taking turns in 1 s slices (relay and nginx: what the hop
//    alone and a native proxy add on this machine, for reference); the added p99 is the median over
//    rounds of the round's difference to direct (the pooled p99s are shown too).
// 3. memory: gateway VmRSS idle (12 s after start, the config-build thread
//    stopped), at the end of >= 100,000 requests, and at rest (once the
//    idle trim has run: its quiet period, one check and a margin later).
// Latency percentiles come from every 2xx response time autocannon reports
// (float ms), not from its 1 ms-resolution histogram. Each run also reports
// the CPU that other processes on the machine used meanwhile (from /proc),
// since a shared machine skews every figure.
// See docs/benchmarks.md for the method and how to read the figures.

import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { interleavedOpenLoop, restAfterLoadMs, startNginx } from "./lib.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const JSON_OUT = argv.includes("--json");
/** Extra node flags for the gateway process only, for experiments: `--node-flags="--optimize-for-size"`. */
const GATEWAY_NODE_FLAGS = (argv.find((a) => a.startsWith("--node-flags="))?.slice("--node-flags=".length) ?? "").split(/\s+/).filter((f) => f !== "");
/** Experiment only: the gateway without its access log (the benchmark's figures are with it on). */
const ACCESS_LOG = !argv.includes("--no-access-log");
const out = JSON_OUT ? process.stderr : process.stdout;
const log = (line = "") => out.write(line + "\n");

const PLAN = QUICK
  ? { warmupS: 1, durationS: 3, runs: 1, rateSlices: 3 }
  : { warmupS: 2, durationS: 8, runs: 3, rateSlices: 25 };
const CONNECTIONS = 50;
const RATE = 500;
const MEMORY_REQUESTS = 100_000;
const STOP_GRACE_MS = 3000;
const TARGETS = { throughputRatio: 0.7, addedP99Ms: 2, idleRssMb: 100, rssGrowthMb: 20 };

const REQUEST_JSON = JSON.stringify({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello to the benchmark." },
  ],
  temperature: 0,
});
const REQUEST_SSE = JSON.stringify({ ...JSON.parse(REQUEST_JSON), stream: true });
const WORKLOADS = {
  json: { label: "JSON", body: REQUEST_JSON },
  sse: { label: "SSE", body: REQUEST_SSE },
};
const PATH = "/v1/chat/completions";
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

const t0 = performance.now();
const elapsed = () => ((performance.now() - t0) / 1000).toFixed(0) + "s";

// ---------------------------------------------------------------- helpers

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
/** Nearest-rank percentile of a sorted typed array. */
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;
const fmtInt = (x) => Math.round(x).toLocaleString("en-US");
const fmtMs = (x) => x.toFixed(2);
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);
const mb = (bytes) => bytes / (1024 * 1024);
const nullableMb = (bytes) => (bytes === null ? null : r2(mb(bytes)));
const fmtMb = (bytes) => (bytes === null ? "n/a" : mb(bytes).toFixed(1) + " MB");

// ---------------------------------------------------------------- pinning

function detectPinning() {
  if (os.availableParallelism() < 2) return { enabled: false, reason: `only ${os.availableParallelism()} CPU` };
  try {
    execFileSync("sh", ["-c", "command -v taskset"], { stdio: "ignore" });
  } catch {
    return { enabled: false, reason: "taskset not found" };
  }
  try {
    // Pin this process (autocannon) and every thread it has to CPU 1; later threads inherit it.
    execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  } catch (err) {
    return { enabled: false, reason: `taskset failed (${err.message.split("\n")[0]})` };
  }
  return { enabled: true, proxyCpu: 0, loadCpu: 1 };
}

// ---------------------------------------------------------------- children

const children = [];
/** The temporary folder (config, logs); removed after a run or an interruption, kept after a failure. */
let workDir = null;

function spawnChild(name, args, { cpu, stdout, stderrFile }) {
  const errFd = openSync(stderrFile, "w");
  const command = cpu === undefined ? process.execPath : "taskset";
  const fullArgs = cpu === undefined ? args : ["-c", String(cpu), process.execPath, ...args];
  // taskset execs node, so the PID is node's.
  const proc = spawn(command, fullArgs, { cwd: ROOT, stdio: ["ignore", stdout, errFd], env: { ...process.env, NODE_ENV: "production" } });
  closeSync(errFd);
  const child = { name, proc, pid: proc.pid, stderrFile, exited: false, exitCode: null };
  proc.once("exit", (code, signal) => {
    child.exited = true;
    child.exitCode = code ?? signal;
  });
  proc.once("error", (err) => {
    child.exited = true;
    child.exitCode = err.message;
  });
  children.push(child);
  return child;
}

function stderrTail(child) {
  try {
    return readFileSync(child.stderrFile, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

function exitedError(child) {
  return new Error(`${child.name} (pid ${child.pid}) exited early (${child.exitCode}):\n${stderrTail(child)}`);
}

/** Resolves with the first stdout line of a child, parsed as JSON. */
function firstJsonLine(child, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.proc.stdout });
    const timer = setTimeout(() => reject(new Error(`${child.name} did not start within ${timeoutMs} ms:\n${stderrTail(child)}`)), timeoutMs);
    child.proc.once("exit", () => {
      clearTimeout(timer);
      reject(exitedError(child));
    });
    rl.once("line", (line) => {
      clearTimeout(timer);
      rl.close();
      child.proc.stdout.resume(); // drain anything else
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${child.name} printed ${JSON.stringify(line)}`));
      }
    });
  });
}

/** Polls a child's stdout file for the gateway's "aigw listening" line. */
async function waitListening(child, file, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exited) throw exitedError(child);
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // not created yet
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"msg":"aigw listening"')) continue;
      try {
        return JSON.parse(line);
      } catch {
        // partial line: read again
      }
    }
    await sleep(50);
  }
  throw new Error(`gateway did not log "aigw listening" within ${timeoutMs} ms:\n${stderrTail(child)}\n${readFileSync(file, "utf8").slice(-2000)}`);
}

async function stopChild(child) {
  if (child.exited) return "already exited";
  const exited = new Promise((resolve) => child.proc.once("exit", resolve));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return "gone";
  }
  const how = await Promise.race([exited.then(() => "SIGTERM"), sleep(STOP_GRACE_MS).then(() => null)]);
  if (how !== null || child.exited) return "SIGTERM";
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    return "gone";
  }
  await Promise.race([exited, sleep(2000)]);
  return "SIGKILL";
}

let stopping = null;
function stopAll() {
  stopping ??= Promise.all(children.map(async (c) => ({ name: c.name, pid: c.pid, how: await stopChild(c) })));
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}: stopping the child processes\n`);
    stopAll().finally(() => {
      if (workDir !== null) rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

// ---------------------------------------------------------------- memory

function vmStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
      return m === null ? null : Number(m[1]) * 1024;
    };
    return { rss: kb("VmRSS"), hwm: kb("VmHWM"), source: "/proc/<pid>/status VmRSS" };
  } catch {
    return null;
  }
}

async function gatewayRss(pid, adminUrl) {
  const status = vmStatus(pid);
  if (status !== null && status.rss !== null) return status;
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = /^aigw_process_resident_memory_bytes\s+([\d.e+]+)/m.exec(text);
  if (m === null) throw new Error("no aigw_process_resident_memory_bytes in /metrics");
  return { rss: Number(m[1]), hwm: null, source: "admin /metrics aigw_process_resident_memory_bytes" };
}

/** V8 heap and external memory from the admin /metrics (prom-client default metrics), in bytes. */
async function heapFigures(adminUrl) {
  try {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const get = (name) => {
      const m = new RegExp(`^aigw_${name}\\s+([\\d.e+]+)`, "m").exec(text);
      return m === null ? null : Number(m[1]);
    };
    return { heapUsed: get("nodejs_heap_size_used_bytes"), heapTotal: get("nodejs_heap_size_total_bytes"), external: get("nodejs_external_memory_bytes") };
  } catch {
    return { heapUsed: null, heapTotal: null, external: null };
  }
}

// ---------------------------------------------------------------- other load on the machine

/** busy and total jiffies over all CPUs, from /proc/stat. */
function machineJiffies() {
  const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** utime + stime of one process (all its threads), in jiffies. */
function processJiffies(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU used by processes other than this one and its children while a run
 * lasts, in % of one core: the machine is shared, and anything else running
 * skews every figure. null without /proc.
 */
function cpuMeter() {
  let before;
  const ours = () => [process.pid, ...children.filter((c) => !c.exited).map((c) => c.pid)].reduce((s, pid) => s + processJiffies(pid), 0);
  try {
    before = { m: machineJiffies(), own: ours() };
  } catch {
    return { stop: () => null };
  }
  return {
    stop() {
      const m = machineJiffies();
      const own = ours();
      const perCpu = (m.total - before.m.total) / os.cpus().length;
      if (perCpu <= 0) return null;
      const foreign = m.busy - before.m.busy - (own - before.own);
      return Math.max(0, Math.round((100 * foreign) / perCpu));
    },
  };
}

const FOREIGN_WARN = 10;
let foreignMax = 0;

// ---------------------------------------------------------------- load

/**
 * One autocannon run. Latencies: every 2xx response time (float ms), sorted,
 * for exact percentiles.
 */
function cannon(url, workload, opts) {
  return new Promise((resolve, reject) => {
    const times = [];
    const meter = cpuMeter();
    const options = {
      url: url + PATH,
      method: "POST",
      headers: HEADERS,
      body: WORKLOADS[workload].body,
      connections: opts.connections ?? CONNECTIONS,
      pipelining: 1,
      timeout: 10,
    };
    if (opts.amount !== undefined) options.amount = opts.amount;
    else options.duration = opts.durationS;
    if (opts.overallRate !== undefined) options.overallRate = opts.overallRate;
    const instance = autocannon(
      options,
      (err, result) => {
        if (err) return reject(err);
        const foreignCpu = meter.stop();
        if (foreignCpu !== null && !opts.warmup) foreignMax = Math.max(foreignMax, foreignCpu);
        const sorted = Float64Array.from(times).sort();
        resolve({
          foreignCpu,
          reqPerSec: result.requests.average,
          completed: result.requests.total,
          ok: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS: result.duration,
          bytesPerSec: result.throughput.average,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
}

function problems(r) {
  const bad = [];
  if (r.non2xx > 0) bad.push(`${r.non2xx} non-2xx`);
  if (r.errors > 0) bad.push(`${r.errors} errors`);
  if (r.timeouts > 0) bad.push(`${r.timeouts} timeouts`);
  if (r.foreignCpu !== null && r.foreignCpu >= FOREIGN_WARN) bad.push(`other processes used ${r.foreignCpu}% of a CPU`);
  return bad.length === 0 ? "" : `  !! ${bad.join(", ")}`;
}

/** One request per target and workload, checking what comes back. */
async function functionalCheck(targets) {
  for (const [name, url] of Object.entries(targets)) {
    for (const workload of Object.keys(WORKLOADS)) {
      const res = await fetch(url + PATH, { method: "POST", headers: HEADERS, body: WORKLOADS[workload].body });
      const text = await res.text();
      const type = res.headers.get("content-type") ?? "";
      const ok =
        res.status === 200 &&
        (workload === "sse"
          ? type.startsWith("text/event-stream") && (text.match(/^data: /gm) ?? []).length === 21 && text.trimEnd().endsWith("data: [DONE]")
          : type.startsWith("application/json") && JSON.parse(text).object === "chat.completion");
      if (!ok) throw new Error(`functional check failed: ${name} ${workload}: ${res.status} ${type} ${text.slice(0, 200)}`);
      if (name === "gateway" && res.headers.get("x-aigw-route") !== "chat") throw new Error("functional check failed: the gateway answer has no x-aigw-route: chat");
    }
  }
}

// ---------------------------------------------------------------- main

/** The commit being measured, and whether src/ has uncommitted changes (dist/ is built from the working tree). */
function codeVersion() {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
    return dirty ? `${sha} + uncommitted changes in src/` : sha;
  } catch {
    return "unknown (no git)";
  }
}

async function main() {
  const pinning = detectPinning();
  const pinText = pinning.enabled
    ? "taskset: floor, floor-pipe and gateway on CPU 0; upstream and autocannon (this process) on CPU 1"
    : `none (${pinning.reason})`;
  const dir = mkdtempSync(join(os.tmpdir(), "aigw-bench-"));
  workDir = dir;
  const report = {
    setup: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      code: codeVersion(),
      pinning: pinText,
      plan: { ...PLAN, connections: CONNECTIONS, pipelining: 1, rate: RATE, rateMode: "open loop", memoryRequests: MEMORY_REQUESTS },
      quick: QUICK,
      gatewayNodeFlags: GATEWAY_NODE_FLAGS,
      accessLog: ACCESS_LOG,
    },
    throughput: {},
    ratios: {},
    fixedRate: {},
    memory: {},
    accessLog: {},
    targets: {},
  };

  log(`aigw data-plane benchmark${QUICK ? " (--quick)" : ""}`);
  log(`node ${process.version}, ${os.cpus().length} × ${report.setup.cpuModel}, ${report.setup.platform}`);
  log(`code: ${report.setup.code} (dist/ as last built)`);
  log(`pinning: ${pinText}`);
  if (GATEWAY_NODE_FLAGS.length > 0) log(`gateway node flags: ${GATEWAY_NODE_FLAGS.join(" ")}`);
  if (!ACCESS_LOG) log("EXPERIMENT: the gateway's access log is OFF (the targets assume it on)");
  const quiet = cpuMeter();
  await sleep(1000);
  report.setup.foreignCpuBeforePct = quiet.stop();
  log(`other processes before the start: ${report.setup.foreignCpuBeforePct ?? "n/a"}% of a CPU${(report.setup.foreignCpuBeforePct ?? 0) >= FOREIGN_WARN ? " (the machine is not quiet: expect skewed figures)" : ""}`);
  log(`plan: ${PLAN.runs} run(s) × ${PLAN.durationS} s per cell after a ${PLAN.warmupS} s warm-up, ${CONNECTIONS} connections, pipelining 1; fixed rate ${RATE} req/s, ${PLAN.rateSlices} × 1 s per target interleaved, open loop`);
  log();

  let gateway;
  let gatewayLog;
  let gatewayRequests = 0;
  try {
    // --- start the three servers
    const upstream = spawnChild("upstream", ["bench/proxy-upstream.mjs"], { cpu: pinning.enabled ? pinning.loadCpu : undefined, stdout: "pipe", stderrFile: join(dir, "upstream.err") });
    const upInfo = await firstJsonLine(upstream);
    const upstreamUrl = `http://127.0.0.1:${upInfo.port}`;

    const floor = spawnChild("floor", ["bench/proxy-floor.mjs", upstreamUrl, "pipeline"], { cpu: pinning.enabled ? pinning.proxyCpu : undefined, stdout: "pipe", stderrFile: join(dir, "floor.err") });
    const floorUrl = `http://127.0.0.1:${(await firstJsonLine(floor)).port}`;
    const floorPipe = spawnChild("floor-pipe", ["bench/proxy-floor.mjs", upstreamUrl, "pipe"], { cpu: pinning.enabled ? pinning.proxyCpu : undefined, stdout: "pipe", stderrFile: join(dir, "floor-pipe.err") });
    const floorPipeUrl = `http://127.0.0.1:${(await firstJsonLine(floorPipe)).port}`;
    const relay = spawnChild("relay", ["bench/proxy-relay.mjs", upstreamUrl], { cpu: pinning.enabled ? pinning.proxyCpu : undefined, stdout: "pipe", stderrFile: join(dir, "relay.err") });
    const relayUrl = `http://127.0.0.1:${(await firstJsonLine(relay)).port}`;

    // The config in a folder of its own: the gateway watches the config's
    // folder, and the busy access log next to it would cost the watcher CPU.
    mkdirSync(join(dir, "config"));
    const configFile = join(dir, "config", "gateway.yaml");
    writeFileSync(
      configFile,
      [
        "version: 1",
        "server:",
        "  listen: 127.0.0.1:0",
        "  admin: 127.0.0.1:0",
        "  shutdown: { drainDelayMs: 0, graceMs: 2000 }",
        "observability:",
        `  logs: { level: info, accessLog: ${ACCESS_LOG} }`,
        "upstreams:",
        "  - name: fake",
        "    type: http",
        `    targets: [{ url: "${upstreamUrl}" }]`,
        "    pool: { connections: 128 }",
        "routes:",
        "  - name: chat",
        `    match: { path: ${PATH}, methods: [POST] }`,
        "    upstream: fake",
        "",
      ].join("\n"),
    );
    gatewayLog = join(dir, "gateway.log");
    const logFd = openSync(gatewayLog, "w");
    gateway = spawnChild("gateway", [...GATEWAY_NODE_FLAGS, "bin/aigw", "serve", "--config", configFile], { cpu: pinning.enabled ? pinning.proxyCpu : undefined, stdout: logFd, stderrFile: join(dir, "gateway.err") });
    closeSync(logFd);
    const listening = await waitListening(gateway, gatewayLog);
    const gatewayUrl = listening.data;
    const adminUrl = listening.admin;
    for (const c of [upstream, floor, floorPipe, relay, gateway]) {
      const comm = readFileSync(`/proc/${c.pid}/comm`, "utf8").trim();
      if (comm !== "node") throw new Error(`${c.name}: pid ${c.pid} is ${comm}, not node`);
    }
    log(`upstream   ${upstreamUrl} (pid ${upstream.pid}, ${upInfo.completionBytes}-byte completion, ${upInfo.sseChunks} SSE chunks + [DONE])`);
    log(`floor      ${floorUrl} (pid ${floor.pid}, stream.pipeline)`);
    log(`floor-pipe ${floorPipeUrl} (pid ${floorPipe.pid}, Readable#pipe)`);
    log(`relay      ${relayUrl} (pid ${relay.pid}, TCP bytes piped, latency reference only)`);
    log(`gateway    ${gatewayUrl} (pid ${gateway.pid}, admin ${adminUrl}, ${ACCESS_LOG ? "access log" : "stdout"} -> ${gatewayLog})`);

    // --- idle memory, before any request, once the config-build thread has stopped (10 s idle)
    await sleep(12_000);
    const idle = await gatewayRss(gateway.pid, adminUrl);
    const idleHeap = await heapFigures(adminUrl);
    log(`gateway RSS idle: ${mb(idle.rss).toFixed(1)} MB (${idle.source}); V8 heap used ${fmtMb(idleHeap.heapUsed)} of ${fmtMb(idleHeap.heapTotal)}, external ${fmtMb(idleHeap.external)}`);
    log();

    const targets = { direct: upstreamUrl, floor: floorUrl, "floor-pipe": floorPipeUrl, gateway: gatewayUrl };
    await functionalCheck(targets);
    log("functional check: every target answers JSON and 20-chunk SSE correctly");
    log();
    const count = (target, r) => {
      if (target === "gateway") gatewayRequests += r.completed;
    };

    // --- 1. throughput
    log(`throughput (${CONNECTIONS} connections, ${PLAN.durationS} s runs; req/s, p50/p99 ms):`);
    for (const workload of Object.keys(WORKLOADS)) {
      const cells = {};
      for (const [target, url] of Object.entries(targets)) {
        const warm = await cannon(url, workload, { durationS: PLAN.warmupS, warmup: true });
        count(target, warm);
        cells[target] = { runs: [] };
        log(`  [${elapsed()}] ${WORKLOADS[workload].label} ${padEnd(target, 10)} warm-up   ${pad(fmtInt(warm.reqPerSec), 7)} req/s (discarded)${problems(warm)}`);
      }
      for (let run = 1; run <= PLAN.runs; run++) {
        for (const [target, url] of Object.entries(targets)) {
          const r = await cannon(url, workload, { durationS: PLAN.durationS });
          count(target, r);
          cells[target].runs.push(r);
          log(`  [${elapsed()}] ${WORKLOADS[workload].label} ${padEnd(target, 10)} run ${run}/${PLAN.runs} ${pad(fmtInt(r.reqPerSec), 7)} req/s  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}${problems(r)}`);
        }
      }
      for (const target of Object.keys(targets)) {
        const runs = cells[target].runs;
        cells[target].median = {
          reqPerSec: Math.round(median(runs.map((r) => r.reqPerSec))),
          p50: r3(median(runs.map((r) => r.p50))),
          p99: r3(median(runs.map((r) => r.p99))),
        };
        cells[target].failures = runs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0);
        cells[target].runs = runs.map((r) => ({ foreignCpuPct: r.foreignCpu, reqPerSec: Math.round(r.reqPerSec), completed: r.completed, p50: r3(r.p50), p90: r3(r.p90), p99: r3(r.p99), max: r3(r.max), non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, durationS: r.durationS }));
      }
      report.throughput[workload] = cells;
      report.ratios[workload] = {
        gatewayOverDirect: r3(cells.gateway.median.reqPerSec / cells.direct.median.reqPerSec),
        gatewayOverFloor: r3(cells.gateway.median.reqPerSec / cells.floor.median.reqPerSec),
        gatewayOverFloorPipe: r3(cells.gateway.median.reqPerSec / cells["floor-pipe"].median.reqPerSec),
        floorOverDirect: r3(cells.floor.median.reqPerSec / cells.direct.median.reqPerSec),
        floorPipeOverDirect: r3(cells["floor-pipe"].median.reqPerSec / cells.direct.median.reqPerSec),
      };
    }

    // --- 2. fixed rate, open loop: requests leave on a 1 ms schedule whether
    // or not earlier ones answered (autocannon's overallRate sends each
    // second's quota at once and then waits, which measures a queue).
    // Direct, floor-pipe and the gateway take turns in 1 s slices (after a
    // 2 s warm-up each), so the VM's drift falls on all three alike. The
    // added p99 is the median over rounds of the round's gateway p99 minus
    // its direct p99 (a burst on the host spoils a round or two, not the
    // figure); the p99 over every response of each target (pooled) is
    // reported next to it, burst included.
    log();
    log(`fixed rate (${RATE} req/s, open loop, ${PLAN.rateSlices} × 1 s slices per target interleaved after a 2 s warm-up each, JSON):`);
    // For reference: the relay (bytes piped, no HTTP: what the extra hop
    // alone costs on these cores), nginx when installed (one worker on the
    // proxies' core: a native proxy) and floor-pipe (the bare Node proxy).
    const nginx = await startNginx(upstreamUrl);
    const RATE_TARGETS = ["direct", "relay", ...(nginx === null ? [] : ["nginx"]), "floor-pipe", "gateway"];
    const rateUrls = { ...targets, relay: relayUrl, nginx: nginx?.url };
    const interleaved = await interleavedOpenLoop(Object.fromEntries(RATE_TARGETS.map((t) => [t, rateUrls[t] + PATH])), {
      rate: RATE,
      slices: PLAN.rateSlices,
      body: WORKLOADS.json.body,
      headers: HEADERS,
    });
    const cell = (r) => ({ reqPerSec: Math.round(r.rps), p50: r3(r.p50), p90: r3(r.p90), p99: r3(r.p99), max: r3(r.max), failures: r.failures });
    for (const target of RATE_TARGETS) {
      const { pooled, rounds } = interleaved[target];
      count(target, { completed: pooled.count + RATE * 2 });
      report.fixedRate[target] = { ...cell(pooled), rounds: rounds.map(cell) };
      log(`  [${elapsed()}] ${padEnd(target, 10)} ${pad(fmtInt(pooled.rps), 5)} req/s  p50 ${fmtMs(pooled.p50)}  p90 ${fmtMs(pooled.p90)}  p99 ${fmtMs(pooled.p99)}  max ${fmtMs(pooled.max)}${pooled.failures > 0 ? `  ${pooled.failures} failed` : ""}  (rounds' p99 ${fmtMs(Math.min(...rounds.map((r) => r.p99))).trim()}–${fmtMs(Math.max(...rounds.map((r) => r.p99))).trim()})`);
    }
    /** The median over rounds of a target's figure minus direct's in the same round. */
    const addedOverDirect = (target, key) => r3(median(report.fixedRate[target].rounds.map((r, i) => r[key] - report.fixedRate.direct.rounds[i][key])));
    report.fixedRate.addedP99 = addedOverDirect("gateway", "p99");
    report.fixedRate.addedP50 = addedOverDirect("gateway", "p50");
    report.fixedRate.floorPipeAddedP99 = addedOverDirect("floor-pipe", "p99");
    report.fixedRate.pooledAddedP99 = r3(report.fixedRate.gateway.p99 - report.fixedRate.direct.p99);
    report.fixedRate.floorPipePooledAddedP99 = r3(report.fixedRate["floor-pipe"].p99 - report.fixedRate.direct.p99);
    for (const ref of ["relay", "nginx"]) {
      if (report.fixedRate[ref] === undefined) continue;
      report.fixedRate[`${ref}AddedP99`] = addedOverDirect(ref, "p99");
      report.fixedRate[`${ref}PooledAddedP99`] = r3(report.fixedRate[ref].p99 - report.fixedRate.direct.p99);
    }

    // --- 3. memory after >= 100k requests
    if (gatewayRequests < MEMORY_REQUESTS) {
      const amount = MEMORY_REQUESTS - gatewayRequests;
      log(`  [${elapsed()}] top-up: ${fmtInt(amount)} more JSON requests to the gateway`);
      const r = await cannon(gatewayUrl, "json", { amount });
      count("gateway", r);
    }
    const underLoad = await gatewayRss(gateway.pid, adminUrl);
    // At rest: after AIGW_IDLE_GC_MS of quiet (a minute by default) the
    // gateway runs one full GC (src/server/idle-trim.ts); wait for it.
    const restMs = await restAfterLoadMs();
    log(`  [${elapsed()}] at rest: waiting ${Math.round(restMs / 1000)} s (the idle trim's quiet period and one check)`);
    await sleep(restMs);
    const after = await gatewayRss(gateway.pid, adminUrl);
    const afterHeap = await heapFigures(adminUrl);
    report.memory = {
      heap: {
        idle: { usedMb: nullableMb(idleHeap.heapUsed), totalMb: nullableMb(idleHeap.heapTotal), externalMb: nullableMb(idleHeap.external) },
        after: { usedMb: nullableMb(afterHeap.heapUsed), totalMb: nullableMb(afterHeap.heapTotal), externalMb: nullableMb(afterHeap.external) },
      },
      source: idle.source,
      idleMb: r2(mb(idle.rss)),
      afterMb: r2(mb(after.rss)),
      endOfLoadMb: r2(mb(underLoad.rss)),
      growthMb: r2(mb(after.rss - idle.rss)),
      peakMb: after.hwm === null ? null : r2(mb(after.hwm)),
      requests: gatewayRequests,
    };
  } finally {
    const stopped = await stopAll();
    report.stopped = stopped;
  }

  // --- the access log, once the gateway has flushed and exited
  if (gatewayLog !== undefined) {
    // Occurrences in chunks; `carry` keeps the last characters of the
    // previous chunk so a needle split between two chunks is found, and a
    // match lying wholly inside the carry (counted before) is skipped.
    const needles = { access: '"type":"access"', trims: "idle: heap trimmed" };
    const found = { access: 0, trims: 0 };
    const keep = Math.max(...Object.values(needles).map((n) => n.length)) - 1;
    let carry = "";
    for await (const chunk of createReadStream(gatewayLog, { encoding: "utf8", highWaterMark: 1 << 20 })) {
      const text = carry + chunk;
      for (const [name, needle] of Object.entries(needles)) {
        for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) if (i + needle.length > carry.length) found[name]++;
      }
      carry = text.slice(-keep);
    }
    report.accessLog = { lines: found.access, mb: r2(mb(statSync(gatewayLog).size)), idleTrims: found.trims };
  }
  rmSync(dir, { recursive: true, force: true });

  // --- the report
  const tp = report.throughput;
  const names = ["direct", "floor", "floor-pipe", "gateway"];
  log();
  log(`results (median of ${PLAN.runs} run(s); latency in ms, from every 2xx response):`);
  log();
  log("| workload | target     |   req/s |  p50 ms |  p99 ms |");
  log("|----------|------------|--------:|--------:|--------:|");
  for (const workload of Object.keys(WORKLOADS)) {
    for (const name of names) {
      const m = tp[workload][name].median;
      const bad = tp[workload][name].failures > 0 ? ` (${tp[workload][name].failures} failed)` : "";
      log(`| ${padEnd(WORKLOADS[workload].label, 8)} | ${padEnd(name, 10)} | ${pad(fmtInt(m.reqPerSec), 7)} | ${pad(fmtMs(m.p50), 7)} | ${pad(fmtMs(m.p99), 7)} |${bad}`);
    }
  }
  log();
  for (const workload of Object.keys(WORKLOADS)) {
    const q = report.ratios[workload];
    const p = (x) => (100 * x).toFixed(1) + "%";
    log(`${padEnd(WORKLOADS[workload].label, 4)} throughput: gateway/direct ${p(q.gatewayOverDirect)}, gateway/floor ${p(q.gatewayOverFloor)}, gateway/floor-pipe ${p(q.gatewayOverFloorPipe)}; floor/direct ${p(q.floorOverDirect)}, floor-pipe/direct ${p(q.floorPipeOverDirect)}`);
  }
  log();
  const fr = report.fixedRate;
  const { addedP99: added, addedP50 } = fr;
  const ratioJson = report.ratios.json.gatewayOverFloor;
  const ratioSse = report.ratios.sse.gatewayOverFloor;
  const mem = report.memory;
  report.targets = {
    throughputGatewayOverFloor: { value: ratioJson, sse: ratioSse, target: `>= ${TARGETS.throughputRatio}`, pass: ratioJson >= TARGETS.throughputRatio },
    throughputGatewayOverFloorPipe: { value: report.ratios.json.gatewayOverFloorPipe, sse: report.ratios.sse.gatewayOverFloorPipe, target: `>= ${TARGETS.throughputRatio}`, pass: report.ratios.json.gatewayOverFloorPipe >= TARGETS.throughputRatio },
    addedP99Ms: { value: added, addedP50Ms: addedP50, target: `< ${TARGETS.addedP99Ms}`, pass: added < TARGETS.addedP99Ms },
    idleRssMb: { value: mem.idleMb, target: `< ${TARGETS.idleRssMb}`, pass: mem.idleMb < TARGETS.idleRssMb },
    rssGrowthMb: { value: mem.growthMb, target: `<= ${TARGETS.rssGrowthMb}`, pass: mem.growthMb <= TARGETS.rssGrowthMb },
  };
  const mark = (t) => (t.pass ? "PASS" : "FAIL");
  log(`at ${RATE} req/s (every response of ${PLAN.rateSlices} interleaved 1 s slices per target, pooled): direct p50 ${fmtMs(fr.direct.p50)} / p99 ${fmtMs(fr.direct.p99)} ms, floor-pipe p50 ${fmtMs(fr["floor-pipe"].p50)} / p99 ${fmtMs(fr["floor-pipe"].p99)} ms (p99 added: median of rounds ${fmtMs(fr.floorPipeAddedP99).trim()} ms, pooled ${fmtMs(fr.floorPipePooledAddedP99).trim()} ms), gateway p50 ${fmtMs(fr.gateway.p50)} / p99 ${fmtMs(fr.gateway.p99)} ms`);
  for (const ref of ["relay", "nginx"]) {
    if (fr[ref] !== undefined) log(`${ref} (reference): p50 ${fmtMs(fr[ref].p50)} / p99 ${fmtMs(fr[ref].p99)} ms, p99 added: median of rounds ${fmtMs(fr[`${ref}AddedP99`]).trim()} ms, pooled ${fmtMs(fr[`${ref}PooledAddedP99`]).trim()} ms`);
  }
  log(`p99 added over direct (median of the ${PLAN.rateSlices} rounds' differences): ${fmtMs(added)} ms (pooled: ${fmtMs(fr.pooledAddedP99).trim()} ms; p50 added ${fmtMs(addedP50)} ms; target < ${TARGETS.addedP99Ms} ms) ${mark(report.targets.addedP99Ms)}`);
  log(`throughput gateway/floor: ${(100 * ratioJson).toFixed(1)}% (JSON; SSE ${(100 * ratioSse).toFixed(1)}%; target >= ${100 * TARGETS.throughputRatio}%) ${mark(report.targets.throughputGatewayOverFloor)}`);
  const tfp = report.targets.throughputGatewayOverFloorPipe;
  log(`throughput gateway/floor-pipe: ${(100 * tfp.value).toFixed(1)}% (JSON; SSE ${(100 * tfp.sse).toFixed(1)}%; same target) ${mark(tfp)}`);
  log(`RSS idle (12 s after start): ${mem.idleMb.toFixed(1)} MB; at the end of the load: ${mem.endOfLoadMb.toFixed(1)} MB; at rest after ${fmtInt(mem.requests)} requests: ${mem.afterMb.toFixed(1)} MB, growth ${mem.growthMb.toFixed(1)} MB (peak ${mem.peakMb === null ? "n/a" : mem.peakMb.toFixed(1) + " MB"}; targets idle < ${TARGETS.idleRssMb} MB ${mark(report.targets.idleRssMb)}, growth <= ${TARGETS.rssGrowthMb} MB ${mark(report.targets.rssGrowthMb)})`);
  const h = mem.heap;
  log(`  V8 heap used ${h.idle.usedMb ?? "n/a"} -> ${h.after.usedMb ?? "n/a"} MB, heap total ${h.idle.totalMb ?? "n/a"} -> ${h.after.totalMb ?? "n/a"} MB, external ${h.idle.externalMb ?? "n/a"} -> ${h.after.externalMb ?? "n/a"} MB`);
  if (report.accessLog.lines !== undefined) log(`access log: ${fmtInt(report.accessLog.lines)} lines, ${report.accessLog.mb} MB (gateway requests sent: ${fmtInt(mem.requests)}); idle trims: ${report.accessLog.idleTrims}`);
  report.foreignCpuMaxPct = foreignMax;
  log(`other processes on the machine: at most ${foreignMax}% of a CPU during a measured run${foreignMax >= FOREIGN_WARN ? " -- figures are skewed, run again on a quiet machine" : ""}`);
  log(`children stopped: ${report.stopped.map((s) => `${s.name} ${s.pid} ${s.how}`).join(", ")}`);
  report.elapsedS = Math.round((performance.now() - t0) / 1000);
  log(`total time: ${report.elapsedS} s`);
  if (JSON_OUT) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    await stopAll();
    if (workDir !== null) process.stderr.write(`bench: the config and the children's logs are in ${workDir}\n`);
    process.exit(1);
  },
);
