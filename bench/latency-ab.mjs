// Latency at a fixed rate, two gateway processes that differ only in their
// environment (e.g. the idle trim on and off), in rounds with direct:
// direct, A, B, each 5 s of open loop after a 2 s warm-up, so each gateway
// sits quiet while the others are measured (about 14 s), as between the
// bursts of a bursty client. Prints every cell and the medians.
//
//   npm run build && node bench/latency-ab.mjs --a AIGW_IDLE_GC_MS=5000 --b AIGW_IDLE_GC_MS=0 [--rate 1000] [--rounds 4]
//
// Swap --a and --b in a second run: the two processes' places differ too.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstLine, hasTaskset, median, openLoop, start, startUpstream, stopAll } from "./lib.mjs";
import { BODIES, KEY, PATH, gatewayYaml } from "./pipeline-config.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const envOf = (spec) => Object.fromEntries(spec.split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const RATE = Number(arg("rate", "1000"));
const ROUNDS = Number(arg("rounds", "4"));
const SECONDS = 5;
const variants = { A: envOf(arg("a", "")), B: envOf(arg("b", "")) };
if (hasTaskset) execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });

try {
  const upstream = await startUpstream(1);
  const file = join(mkdtempSync(join(tmpdir(), "aigw-bench-latency-ab-")), "gateway.yaml");
  writeFileSync(file, gatewayYaml(upstream, 7));
  const targets = { direct: upstream + PATH };
  for (const [name, env] of Object.entries(variants)) {
    const p = start(["bin/aigw", "serve", "--config", file, "--no-watch"], 0, env);
    targets[name] = `${(await firstLine(p, (v) => v.msg === "aigw listening")).data}/plain${PATH}`;
  }
  console.log(`${RATE} req/s, ${ROUNDS} rounds × ${SECONDS} s per target after a 2 s warm-up; A: ${JSON.stringify(variants.A)}, B: ${JSON.stringify(variants.B)}`);
  const cells = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
  const opts = { rate: RATE, body: BODIES.json, headers: { authorization: `Bearer ${KEY}` } };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets)) {
      await openLoop(url, { ...opts, seconds: 2 });
      const r = await openLoop(url, { ...opts, seconds: SECONDS });
      cells[name].push(r);
      console.log(`  round ${round} ${name.padEnd(6)} p50 ${r.p50.toFixed(2)}  p90 ${r.p90.toFixed(2)}  p99 ${r.p99.toFixed(2)}  max ${r.max.toFixed(2)} ms${r.failures > 0 ? `  ${r.failures} failed` : ""}`);
    }
  }
  for (const [name, rs] of Object.entries(cells)) console.log(`${name.padEnd(6)} median p50 ${median(rs.map((r) => r.p50)).toFixed(2)}  p90 ${median(rs.map((r) => r.p90)).toFixed(2)}  p99 ${median(rs.map((r) => r.p99)).toFixed(2)} ms`);
} finally {
  stopAll();
}
