// What plugins cost in instructions per request (issue 11), counted by
// valgrind's callgrind rather than timed: the same routes, config and
// requests as bench/plugins.mjs, each route in its own gateway run under
// callgrind. A count does not drift with the VM (timed figures here move by
// ±1.5 points between runs); it leaves out the kernel's share (sockets),
// which a plugin does not add to, so a plugin's share of all CPU time is
// smaller than its share of the instructions. Nor is a count a time: an
// instruction of a compiled regex scanning text costs a fraction of one
// that misses a cache (prompt-guard's literal regex: 93,000 instructions
// per 4 KB prompt, 6 µs). Use it to see what a change adds or removes.
//
// Per route: a gateway under `valgrind --tool=callgrind --instr-atstart=no
// --separate-threads=yes`, WARM requests uncounted (the JIT settles: under
// valgrind everything runs ~50× slower), then `callgrind_control -i on`,
// COUNT requests (10 connections), `-i off`. The figure is the main thread's
// instructions divided by COUNT: the event loop's work per request (the
// JavaScript, node's HTTP code, undici, the access log, what V8's GC does on
// the main thread). Threads that compile optimized code or help the GC are
// left out: their work is the JIT's pace, not the request's.
//
//   npm run build && node bench/instructions.mjs [--quick] [--json]
//   (--quick: 2,000 warm-up and 1,000 counted requests; default 6,000 and 3,000; about 6 minutes)
import autocannon from "autocannon";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstLine, startUpstream, stopAll } from "./lib.mjs";
import { config, pairs, routes } from "./plugins-config.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const WARM = QUICK ? 2000 : 6000;
const COUNT = QUICK ? 1000 : 3000;

function has(command) {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function send(url, { body, headers }, amount) {
  return new Promise((resolve, reject) => {
    autocannon({ url, method: "POST", body, headers: { "content-type": "application/json", ...headers }, connections: 10, amount, timeout: 120 }, (err, res) => {
      if (err) reject(err);
      else if (res.non2xx > 0 || res.errors > 0 || res.requests.total < amount) reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.requests.total} of ${amount}`));
      else resolve(res);
    });
  });
}

const control = (pid, on) => execFileSync("callgrind_control", ["-i", on ? "on" : "off", String(pid)], { stdio: "ignore" });

/** Main-thread instructions per request for one route, in its own gateway under callgrind. */
async function countRoute(upstream, name) {
  const dir = mkdtempSync(join(tmpdir(), "aigw-instructions-"));
  writeFileSync(join(dir, "gateway.yaml"), config(upstream));
  const gw = spawn(
    "valgrind",
    ["--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes", `--callgrind-out-file=${join(dir, "callgrind.out")}`, process.execPath, "bin/aigw", "serve", "--config", join(dir, "gateway.yaml"), "--no-watch"],
    // The idle trim would run a full GC between the phases; no access-log pipe backs up (stdout is drained).
    { cwd: new URL("..", import.meta.url).pathname, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, NODE_ENV: "production", AIGW_IDLE_GC_MS: "0" } },
  );
  try {
    const line = await firstLine(gw, (v) => v.msg === "aigw listening");
    const url = line.data + routes[name].path;
    await send(url, routes[name], WARM);
    control(gw.pid, true);
    await send(url, routes[name], COUNT);
    control(gw.pid, false);
  } finally {
    const exited = new Promise((resolve) => gw.once("exit", resolve));
    gw.kill("SIGTERM");
    await exited;
  }
  // callgrind.out-01 is the main thread.
  const main = readdirSync(dir).find((f) => f.endsWith("-01"));
  const text = readFileSync(join(dir, main), "utf8");
  const total = Number(/^totals: (\d+)/m.exec(text)?.[1] ?? /^summary: (\d+)/m.exec(text)?.[1] ?? NaN);
  return total / COUNT;
}

if (!has("valgrind") || !has("callgrind_control")) {
  console.log("valgrind (callgrind) is not installed: apt-get install -y valgrind");
  process.exit(0);
}
try {
  const upstream = await startUpstream(1);
  const perRoute = {};
  const results = {};
  for (const [label, [feature, baseline]] of Object.entries(pairs)) {
    for (const name of [baseline, feature]) {
      perRoute[name] ??= await countRoute(upstream, name);
      if (!JSON_OUT) process.stderr.write(`  ${name}: ${Math.round(perRoute[name]).toLocaleString("en")} instructions per request\n`);
    }
    results[label] = { baseline: Math.round(perRoute[baseline]), feature: Math.round(perRoute[feature]), cost: 1 - perRoute[baseline] / perRoute[feature] };
  }
  if (JSON_OUT) console.log(JSON.stringify({ warm: WARM, counted: COUNT, results }, null, 2));
  else {
    console.log(`plugin cost in main-thread instructions per request (callgrind; ${WARM.toLocaleString("en")} requests warm-up, ${COUNT.toLocaleString("en")} counted, 10 connections)`);
    console.log("| pair | without | with | added | share of the main thread's instructions |\n|---|---:|---:|---:|---:|");
    for (const [label, r] of Object.entries(results)) console.log(`| ${label} | ${r.baseline.toLocaleString("en")} | ${r.feature.toLocaleString("en")} | ${(r.feature - r.baseline).toLocaleString("en")} | ${(r.cost * 100).toFixed(1)}% |`);
    console.log("(not a throughput share: the kernel's part of each request, about half of its CPU time here, is not counted; see bench/plugins.mjs for that)");
  }
} finally {
  stopAll();
}
