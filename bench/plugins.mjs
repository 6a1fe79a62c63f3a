// What plugins cost on the request path (issue 11), measured side by side in
// two gateway processes on the same config (one takes the baselines'
// traffic, the other the plugin routes'), against the fake upstream
// (bench/proxy-upstream.mjs):
//
//   headers      a plain route with three built-in header plugins
//                (request-headers with ${consumer}/${route}/${requestId},
//                response-headers, cors on an allowed Origin)  vs  the same
//                route without plugins                      (target < 5%)
//   prompt-guard an AI chat route (OpenAI upstream) with prompt-guard and
//                20 patterns over a 4 KB prompt (nothing matches, as for
//                most requests)  vs  the same route without it (target < 10%)
//
// Side by side (lib.mjs sideBySide): two gateway processes on the same
// config share CPU 0; in each round the baseline route on one and the plugin
// route on the other are under load at the same time (50 connections each),
// so the VM's drift (up to 40% between minutes) hits both alike. A round's
// cost is 1 - baseline CPU µs per request / feature's (the throughput a
// CPU-bound gateway loses); after both processes have served both routes,
// the rounds alternate the feature between process A and B; the figure is the mean of the two ways' medians (what differs
// between the processes cancels), with each way and the rounds' range. The
// two ways differ by about 20 points (measured: plugins on B +20%, on A
// -2%): per-request CPU on this VM depends on more than the code a process
// runs (its JIT state, the order it saw traffic, how the scheduler shares
// the core), which is why one way alone proves nothing. 10 rounds × 5 s (2 × 3 s with
// --quick). Run one after the other instead, the same measurement gave 9–11%
// for the header plugins, two identical processes differing by up to 16%.
//
//   npm run build && node bench/plugins.mjs [--quick] [--json]
import { bothWays, load, median, pct, sideBySide, startGateway, startUpstream, stopAll } from "./lib.mjs";
import { PATTERNS, config, pairs, prompt, routes } from "./plugins-config.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const ROUNDS = QUICK ? 2 : 10;
const SECONDS = QUICK ? 3 : 5;

try {
  const upstream = await startUpstream(1);
  const gateways = { A: await startGateway(config(upstream), "plugins-a"), B: await startGateway(config(upstream), "plugins-b") };
  const scenario = (name, on) => ({ name, url: gateways[on].url + routes[name].path, body: routes[name].body, headers: routes[name].headers, pid: gateways[on].pid });
  const results = {};
  for (const [label, [feature, baseline]] of Object.entries(pairs)) {
    const rounds = [];
    const cpu = { [baseline]: [], [feature]: [] };
    // Both processes serve both routes before any round counts, so neither meets a route for the first time mid-bench.
    for (const on of ["A", "B"]) for (const name of [baseline, feature]) await load(scenario(name, on).url, { ...scenario(name, on), seconds: 2 });
    for (let r = 0; r < ROUNDS; r++) {
      const [b, f] = r % 2 === 0 ? ["A", "B"] : ["B", "A"];
      const m = await sideBySide([scenario(baseline, b), scenario(feature, f)], { rounds: 1, seconds: SECONDS, warmupSeconds: 0, progress: false });
      rounds.push({ featureOn: f, cost: 1 - m.cpu[baseline][0] / m.cpu[feature][0] });
      cpu[baseline].push(m.cpu[baseline][0]);
      cpu[feature].push(m.cpu[feature][0]);
      if (!JSON_OUT) process.stderr.write(`  ${label}: round ${r + 1}/${ROUNDS} done\n`);
    }
    const ways = bothWays(rounds, (r) => r.featureOn, (r) => r.cost);
    results[label] = {
      cost: ways.mean,
      featureOnA: ways.A,
      featureOnB: ways.B,
      min: ways.min,
      max: ways.max,
      rounds,
      cpuUs: { baseline: Math.round(median(cpu[baseline]) * 10) / 10, feature: Math.round(median(cpu[feature]) * 10) / 10 },
    };
  }
  if (JSON_OUT) console.log(JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, promptBytes: Buffer.byteLength(prompt), patterns: PATTERNS.length, results }, null, 2));
  else {
    console.log(`plugin cost, side by side on one core (${ROUNDS} rounds × ${SECONDS} s, 50 connections each; half the rounds with the plugins on each process)`);
    console.log("| pair | cost (mean of both ways) | plugins on A | plugins on B | rounds min–max | CPU µs/req without, with |\n|---|---:|---:|---:|---:|---:|");
    for (const [label, r] of Object.entries(results)) console.log(`| ${label} | ${pct(r.cost)} | ${pct(r.featureOnA)} | ${pct(r.featureOnB)} | ${pct(r.min)} – ${pct(r.max)} | ${r.cpuUs.baseline}, ${r.cpuUs.feature} |`);
    for (const [label, [, , target]] of Object.entries(pairs)) console.log(`${label} costs ${pct(results[label].cost)} of throughput by CPU per request (target < ${target})`);
  }
} finally {
  stopAll();
}
