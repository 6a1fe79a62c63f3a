// What a big route table costs on the request path (issue 13, line 2):
// the full-path gateway (bench/pipeline-config.mjs: API-key auth, a token
// bucket per consumer, metrics and access log on) with 10 routes against the
// same gateway with 10,000, side by side, with the configs swapped between
// the two processes every round by hot reload.
//
// Side by side (lib.mjs sideBySide): both gateway processes share CPU 0 and
// are under load at the same time (50 connections each), so the VM's drift
// (up to 40% between minutes) hits both alike. But two identical processes
// side by side have measured up to 12% apart by their place alone, so one
// process per config would measure the place as much as the config. Here
// the processes trade configs every round: each writes the other's config to
// its file and reloads it (`POST /admin/reload`, the same path a ConfigMap
// update takes), then both are warmed for `--warmup` seconds before the
// round counts. A round's figure is the 10k process's throughput relative to
// the 10-route one's by CPU per request (10-route µs / 10k µs); the result is
// the mean of the two ways' medians (10k on A, 10k on B), which cancels what
// differs between the processes.
//
//   npm run build && node bench/routes.mjs [--quick] [--json] [--sse]
import { BODIES, KEY, PATH, gatewayYaml } from "./pipeline-config.mjs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bothWays, median, pct, serveGateway, sideBySide, startUpstream, stopAll } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const ROUNDS = QUICK ? 2 : 10;
const SECONDS = QUICK ? 3 : 5;
const WARMUP = QUICK ? 2 : 3;
const TARGET = 0.95;
const log = (line = "") => (JSON_OUT ? process.stderr : process.stdout).write(line + "\n");

async function startGateway(file, yaml) {
  writeFileSync(file, yaml);
  return { file, ...(await serveGateway(file)) };
}

/** Writes `yaml` to the gateway's file and reloads it; resolves once it runs. */
async function switchTo(gw, yaml) {
  writeFileSync(gw.file, yaml);
  const res = await fetch(`${gw.admin}/admin/reload`, { method: "POST" });
  const record = await res.json();
  if (res.status !== 200 || record.result !== "success") throw new Error(`reload of ${gw.file} failed: ${res.status} ${JSON.stringify(record).slice(0, 300)}`);
}

try {
  const upstream = await startUpstream(1);
  const configs = { 10: gatewayYaml(upstream, 7), "10k": gatewayYaml(upstream, 9_997) };
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-routes-"));
  const gateways = { A: await startGateway(join(dir, "a.yaml"), configs[10]), B: await startGateway(join(dir, "b.yaml"), configs["10k"]) };
  const headers = { authorization: `Bearer ${KEY}` };
  const workloads = { "full http, JSON": { path: `/plain${PATH}`, body: BODIES.json }, "full ai, JSON": { path: PATH, body: BODIES.json } };
  if (process.argv.includes("--sse")) workloads["full ai, SSE"] = { path: PATH, body: BODIES.sse };
  const results = {};
  // Who holds the 10k table in the current round.
  let bigOn = "B";
  for (const [label, w] of Object.entries(workloads)) {
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const want = r % 2 === 0 ? "B" : "A";
      if (want !== bigOn) {
        const small = want === "A" ? "B" : "A";
        await switchTo(gateways[want], configs["10k"]);
        await switchTo(gateways[small], configs[10]);
        bigOn = want;
      }
      const small = bigOn === "A" ? "B" : "A";
      const scenario = (name, on) => ({ name, url: gateways[on].url + w.path, pid: gateways[on].pid });
      const m = await sideBySide([scenario("10", small), scenario("10k", bigOn)], { rounds: 1, seconds: SECONDS, body: w.body, headers, warmupSeconds: WARMUP, progress: false });
      rounds.push({ bigOn, ratio: m.cpu["10"][0] / m.cpu["10k"][0], cpuUs: { 10: m.cpu["10"][0], "10k": m.cpu["10k"][0] } });
      if (!JSON_OUT) process.stderr.write(`  ${label}: round ${r + 1}/${ROUNDS} done\n`);
    }
    const ways = bothWays(rounds, (r) => r.bigOn, (r) => r.ratio);
    results[label] = {
      ratio: ways.mean,
      bigOnA: ways.A,
      bigOnB: ways.B,
      min: ways.min,
      max: ways.max,
      cpuUs: { 10: Math.round(median(rounds.map((r) => r.cpuUs[10])) * 10) / 10, "10k": Math.round(median(rounds.map((r) => r.cpuUs["10k"])) * 10) / 10 },
      rounds,
    };
  }
  if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
  log(`\n10,000 routes vs 10, side by side on one core, configs swapped between the processes every round (${ROUNDS} rounds × ${SECONDS} s, 50 connections each)`);
  log("| workload | 10k / 10 routes throughput (mean of both ways) | 10k on A | 10k on B | rounds min–max | CPU µs/req 10, 10k |");
  log("|---|---:|---:|---:|---:|---:|");
  for (const [label, r] of Object.entries(results)) log(`| ${label} | ${pct(r.ratio)} | ${pct(r.bigOnA)} | ${pct(r.bigOnB)} | ${pct(r.min)} – ${pct(r.max)} | ${r.cpuUs[10]}, ${r.cpuUs["10k"]} |`);
  for (const [label, r] of Object.entries(results)) log(`${label}: 10k routes at ${pct(r.ratio)} of the 10-route throughput (target ≥ ${pct(TARGET)})`);
} finally {
  stopAll();
}
