// The realistic path against the Node floor (issue 13), side by side in one run:
//
//   floor          bench/proxy-floor.mjs (node:http + one undici Pool, stream.pipeline)
//   floor-pipe     the same with Readable#pipe (the tighter floor on Node 20)
//   nginx          a reference line when `nginx` is on PATH (keep-alive proxy, 1 worker)
//   full http      `aigw serve`, 10 routes: API-key auth, a token bucket per
//                  consumer (in memory), metrics and access log on (to a file),
//                  a plain http upstream
//   full ai        the same gateway, an OpenAI route picked by the body's
//                  `model` (the body is read, usage parsed for metering)
//   … 10k          the same two routes in a gateway with 10,000 routes
//
// Every proxy runs on CPU 0; the fake upstream (bench/proxy-upstream.mjs) and
// autocannon (this process) on CPU 1 (taskset, when there are 2 CPUs).
//
// 1. throughput, JSON and SSE: 50 connections, the targets interleaved, each
//    ratio the median over runs of the run's own ratio (req/s), with the
//    proxy's CPU µs per request alongside.
// 2. side by side: pairs of proxies on CPU 0 under load at the same time
//    (lib.mjs sideBySide), capacity from the ratio of their CPU per request.
// 3. latency at a fixed 1,000 req/s, open loop (requests leave on a 1 ms
//    schedule whether or not earlier ones answered; see lib.mjs
//    interleavedOpenLoop): p50/p99 of every response time, direct to the
//    upstream and through each proxy, the targets taking turns in 1 s slices;
//    with the relay (bench/proxy-relay.mjs, bytes piped) as a reference: what
//    the extra hop alone adds on these cores.
//
//   npm run build && node bench/pipeline.mjs [--quick] [--json]
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BODIES, KEY, PATH, gatewayYaml } from "./pipeline-config.mjs";
import { cpuMs, firstLine, hasTaskset, median, interleavedOpenLoop, pct, serveGateway, sideBySide, start, startNginx, startUpstream, stopAll } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 2 : 5;
const SECONDS = QUICK ? 3 : 5;
const RATE = 1000;
const SIDE_ROUNDS = QUICK ? 3 : 8;
const SIDE_SECONDS = QUICK ? 3 : 5;
const RATE_SLICES = QUICK ? 3 : 15;
const log = (line = "") => (JSON_OUT ? process.stderr : process.stdout).write(line + "\n");


if (hasTaskset) {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  } catch {
    // not pinned: the figures say so below
  }
}

/** `aigw serve` on CPU 0, its stdout (access log) to a file next to its config; resolves when it listens. */
async function startGateway(yaml, name) {
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-pipeline-"));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return serveGateway(file);
}

async function startFloor(upstream, mode) {
  const p = start(["bench/proxy-floor.mjs", upstream, mode], 0);
  return { url: `http://127.0.0.1:${(await firstLine(p, (v) => typeof v.port === "number")).port}`, pid: p.pid };
}

/** One autocannon run; every 2xx response time kept (float ms) for exact percentiles. */
function run(url, { body, connections = 50, seconds, overallRate }) {
  return new Promise((resolve, reject) => {
    const times = [];
    const inst = autocannon(
      { url, method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, connections, duration: seconds, ...(overallRate === undefined ? {} : { overallRate }) },
      (err, res) => {
        if (err) return reject(err);
        if (res.non2xx > 0 || res.errors > 0 || res.timeouts > 0) return reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts`));
        const sorted = Float64Array.from(times).sort();
        const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
        resolve({ rps: res.requests.total / res.duration, total: res.requests.total, p50: at(50), p99: at(99) });
      },
    );
    inst.on("response", (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}


try {
  const upstream = await startUpstream(1);
  const floor = await startFloor(upstream, "pipeline");
  const floorPipe = await startFloor(upstream, "pipe");
  const nginx = await startNginx(upstream);
  const gw10 = await startGateway(gatewayYaml(upstream, 7), "routes-10");
  const gw10k = await startGateway(gatewayYaml(upstream, 9_997), "routes-10k");
  log(`aigw full-pipeline bench${QUICK ? " (--quick)" : ""}: node ${process.version}, ${RUNS} × ${SECONDS} s per target, targets interleaved; ${hasTaskset ? "proxies on CPU 0, upstream and load on CPU 1" : "no taskset: nothing pinned"}`);
  log(nginx === null ? "nginx: not on PATH (no reference line)" : `nginx: ${nginx.url}`);

  const targets = [
    { name: "floor", url: floor.url + PATH, pid: floor.pid },
    { name: "floor-pipe", url: floorPipe.url + PATH, pid: floorPipe.pid },
    ...(nginx === null ? [] : [{ name: "nginx", url: nginx.url + PATH, pid: nginx.pid }]),
    { name: "full http, 10 routes", url: `${gw10.url}/plain${PATH}`, pid: gw10.pid },
    { name: "full ai, 10 routes", url: gw10.url + PATH, pid: gw10.pid },
    { name: "full http, 10k routes", url: `${gw10k.url}/plain${PATH}`, pid: gw10k.pid },
    { name: "full ai, 10k routes", url: gw10k.url + PATH, pid: gw10k.pid },
  ];
  const result = { node: process.version, runs: RUNS, seconds: SECONDS, throughput: {}, ratios: {}, fixedRate: {} };
  for (const [workload, body] of Object.entries(BODIES)) {
    for (const t of targets) await run(t.url, { body, seconds: 2 }); // warm-up
    const rps = Object.fromEntries(targets.map((t) => [t.name, []]));
    const cpu = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let r = 0; r < RUNS; r++) {
      for (const t of targets) {
        const before = cpuMs(t.pid);
        const res = await run(t.url, { body, seconds: SECONDS });
        rps[t.name].push(res.rps);
        cpu[t.name].push(((cpuMs(t.pid) - before) * 1000) / res.total);
      }
      log(`  ${workload} run ${r + 1}/${RUNS} done`);
    }
    const perRun = (a, b) => median(rps[a].map((v, i) => v / rps[b][i]));
    result.throughput[workload] = Object.fromEntries(targets.map((t) => [t.name, { rps: Math.round(median(rps[t.name])), cpuUsPerRequest: Math.round(median(cpu[t.name]) * 10) / 10 }]));
    result.ratios[workload] = {
      "full http / floor": perRun("full http, 10 routes", "floor"),
      "full http / floor-pipe": perRun("full http, 10 routes", "floor-pipe"),
      "full ai / floor": perRun("full ai, 10 routes", "floor"),
      "full ai / floor-pipe": perRun("full ai, 10 routes", "floor-pipe"),
      "10k / 10 routes, http": perRun("full http, 10k routes", "full http, 10 routes"),
      "10k / 10 routes, ai": perRun("full ai, 10k routes", "full ai, 10 routes"),
      ...(nginx === null ? {} : { "full http / nginx": perRun("full http, 10 routes", "nginx"), "floor / nginx": perRun("floor", "nginx") }),
    };
  }
  // Side by side (lib.mjs sideBySide): two proxies on CPU 0 under load at the
  // same time, so the VM's drift hits both alike; capacity = the inverse
  // ratio of CPU per request, the median of the rounds' ratios.
  const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
  const PAIRS = [
    ["full http / floor", "full http, 10 routes", "floor"],
    ["full http / floor-pipe", "full http, 10 routes", "floor-pipe"],
    ["10k / 10 routes, http", "full http, 10k routes", "full http, 10 routes"],
    ["10k / 10 routes, ai", "full ai, 10k routes", "full ai, 10 routes"],
  ];
  result.sideBySide = {};
  for (const [workload, body] of Object.entries(BODIES)) {
    result.sideBySide[workload] = {};
    for (const [label, feature, baseline] of PAIRS) {
      const m = await sideBySide([byName[baseline], byName[feature]], { rounds: SIDE_ROUNDS, seconds: SIDE_SECONDS, body, headers: { authorization: `Bearer ${KEY}` }, progress: false });
      const spread = m.cpu[feature].map((us, i) => m.cpu[baseline][i] / us);
      const capacity = median(spread);
      result.sideBySide[workload][label] = { capacity, min: Math.min(...spread), max: Math.max(...spread), cpuUs: { [baseline]: Math.round(median(m.cpu[baseline]) * 10) / 10, [feature]: Math.round(median(m.cpu[feature]) * 10) / 10 } };
      log(`  ${workload} side by side ${label}: ${pct(capacity)}`);
    }
  }
  // Latency at a fixed rate (open loop), JSON: the targets take turns in
  // 1 s slices (after a 2 s warm-up each), so the VM's drift falls on all of
  // them alike and none sits idle long enough for its connections to close
  // or its idle trim to run (either would land in some other target's
  // cell: every proxy shares CPU 0). A target's added p99 is the median over
  // rounds of its p99 minus direct's in the same round (a burst on the host
  // spoils a round, not the figure); its p99 over all of its responses
  // (pooled, bursts included) is shown next to it.
  // The relay (bench/proxy-relay.mjs: bytes piped, no HTTP) is a reference
  // line here only: what the extra hop alone adds on these cores.
  const relay = start(["bench/proxy-relay.mjs", upstream], 0);
  const relayUrl = `http://127.0.0.1:${(await firstLine(relay, (v) => typeof v.port === "number")).port}`;
  const rateTargets = [{ name: "direct", url: upstream + PATH }, { name: "relay", url: relayUrl + PATH }, ...targets.filter((t) => t.name !== "floor-pipe")];
  const interleaved = await interleavedOpenLoop(Object.fromEntries(rateTargets.map((t) => [t.name, t.url])), {
    rate: RATE,
    slices: RATE_SLICES,
    body: BODIES.json,
    headers: { authorization: `Bearer ${KEY}` },
  });
  const ms = (x) => +x.toFixed(3);
  for (const [name, { pooled, rounds }] of Object.entries(interleaved)) {
    if (pooled.failures > 0) throw new Error(`${name}: ${pooled.failures} failed requests at ${RATE} req/s`);
    result.fixedRate[name] = { rps: Math.round(pooled.rps), p50: ms(pooled.p50), p99: ms(pooled.p99), roundsP99: rounds.map((r) => ms(r.p99)) };
  }
  const direct = result.fixedRate.direct;
  result.addedP99Ms = Object.fromEntries(
    Object.entries(result.fixedRate)
      .filter(([n]) => n !== "direct")
      .map(([n, v]) => [n, { median: ms(median(v.roundsP99.map((p, i) => p - direct.roundsP99[i]))), pooled: ms(v.p99 - direct.p99) }]),
  );

  if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
  else {
    for (const workload of Object.keys(BODIES)) {
      log();
      log(`${workload.toUpperCase()}: median req/s and proxy CPU µs per request`);
      log(`| target | req/s | CPU µs/req |\n|---|---:|---:|`);
      for (const [n, v] of Object.entries(result.throughput[workload])) log(`| ${n} | ${v.rps} | ${v.cpuUsPerRequest.toFixed(1)} |`);
      log();
      for (const [n, v] of Object.entries(result.ratios[workload])) log(`  ${n}: ${pct(v)}`);
      log();
      log(`${workload.toUpperCase()} side by side on CPU 0 (${SIDE_ROUNDS} rounds × ${SIDE_SECONDS} s; capacity = baseline CPU µs/req ÷ target's, median [min–max] of the rounds):`);
      log(`| pair | capacity | rounds min–max | CPU µs/req (baseline, target) |\n|---|---:|---:|---:|`);
      for (const [n, v] of Object.entries(result.sideBySide[workload])) log(`| ${n} | ${pct(v.capacity)} | ${pct(v.min)}–${pct(v.max)} | ${Object.values(v.cpuUs).map((x) => x.toFixed(1)).join(", ")} |`);
    }
    log();
    log(`fixed ${RATE} req/s, open loop, ${RATE_SLICES} × 1 s slices per target interleaved after a 2 s warm-up each; p50/p99 over every response (pooled), p99 added: the median over rounds of the round's difference to direct, and pooled p99 minus direct's (ms):`);
    log(`| target | req/s | p50 | p99 | p99 added (median of rounds) | p99 added (pooled) |\n|---|---:|---:|---:|---:|---:|`);
    for (const [n, v] of Object.entries(result.fixedRate)) {
      const added = result.addedP99Ms[n];
      log(`| ${n} | ${v.rps} | ${v.p50.toFixed(2)} | ${v.p99.toFixed(2)} | ${added === undefined ? "" : added.median.toFixed(2)} | ${added === undefined ? "" : added.pooled.toFixed(2)} |`);
    }
  }
} finally {
  stopAll();
}
