// A/B of two builds of the gateway: this checkout's `bin/aigw` against
// another checkout's (built with `npm run build` there), side by side on
// CPU 0 under the full-path config of bench/pipeline-config.mjs (API-key
// auth, a token bucket per consumer, metrics, access log), the fake
// upstream and the load on CPU 1. Two gateways cannot swap places, so the
// pair runs twice, once in each start order, and the result is the mean of
// the two orders' medians of the per-round ratio of CPU per request.
//
//   git worktree add /tmp/base <rev> && (cd /tmp/base && npm ci && npm run build)
//   npm run build && node bench/ab.mjs --other /tmp/base [--route plain|ai] [--rounds 6]
//   node bench/ab.mjs --other . --env-other AIGW_MAX_SEMI_SPACE_MB=16   one build, two settings
//     (--env-this / --env-other: NAME=value[,NAME=value] for that side's gateway)
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { hasTaskset, median, serveGateway, sideBySide, startUpstream, stopAll } from "./lib.mjs";
import { BODIES, KEY, PATH, gatewayYaml } from "./pipeline-config.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const other = arg("other", undefined);
if (other === undefined) {
  process.stderr.write("usage: node bench/ab.mjs --other <checkout with a build> [--route plain|ai] [--rounds 6]\n");
  process.exit(2);
}
const route = arg("route", "plain");
const envOf = (side) => Object.fromEntries((arg(`env-${side}`, "") || "").split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const envs = { this: envOf("this"), other: envOf("other") };
const rounds = Number(arg("rounds", "6"));
if (hasTaskset) execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });

try {
  const upstream = await startUpstream(1);
  const file = join(mkdtempSync(join(tmpdir(), "aigw-bench-ab-")), "gateway.yaml");
  writeFileSync(file, gatewayYaml(upstream, 7));
  const bins = { this: "bin/aigw", other: join(resolve(other), "bin/aigw") };
  const path = route === "ai" ? PATH : `/plain${PATH}`;
  const ratios = [];
  for (const order of [["this", "other"], ["other", "this"]]) {
    const procs = {};
    for (const name of order) {
      procs[name] = await serveGateway(file, { bin: bins[name], env: envs[name], log: `${file}.${name}.log` });
    }
    const scenarios = order.map((name) => ({ name, url: procs[name].url + path, pid: procs[name].pid }));
    const m = await sideBySide(scenarios, { rounds, seconds: 4, body: BODIES.json, headers: { authorization: `Bearer ${KEY}` }, progress: false });
    const perRound = m.cpu.other.map((o, i) => o / m.cpu.this[i]);
    const ratio = median(perRound);
    ratios.push(ratio);
    console.log(`start order ${order.join(", ")}: CPU µs/req this ${median(m.cpu.this).toFixed(1)}, other ${median(m.cpu.other).toFixed(1)}; capacity this/other ${((ratio - 1) * 100).toFixed(1)}% (rounds ${perRound.map((r) => ((r - 1) * 100).toFixed(1)).join(", ")})`);
    for (const name of order) process.kill(procs[name].pid, "SIGTERM");
    await sleep(1500);
  }
  console.log(`capacity of this build over the other (${route} route, mean of both start orders): ${(((ratios[0] + ratios[1]) / 2 - 1) * 100).toFixed(1)}%`);
} finally {
  stopAll();
}
