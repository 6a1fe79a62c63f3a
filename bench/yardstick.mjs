// `npm run bench`: the project's performance figures, measured with the
// shared yardstick (../shared/bench: wrk, its fake upstream, the bare Node
// proxy `node-floor`, nginx; every system pinned to CPU 0, the harness to
// CPU 1; medians of 3). The figure that counts is CPU µs per request of the
// gateway process as a ratio to node-floor's in the same run.
//
// This script copies the yardstick to a temporary directory (its own
// folder stays read-only), installs its dependencies there when missing,
// starts this checkout's gateway on the yardstick's configs
// (configs/full-ai.yaml, configs/plain-http.yaml) and runs one matrix with
// all of them, so every ratio compares within one run.
//
//   npm run bench                                   full-ai and plain-http, json + sse + rate1000
//   npm run bench -- --prev /path/to/other/checkout  the same builds side by side (A/B of a change)
//   npm run bench -- --prev DIR --prev-first         the same, the previous build first in every repetition
//   npm run bench -- --configs full-ai --workloads json --reps 1 --duration 5   a quick look
//   npm run bench -- --systems direct,nginx-1w,node-floor,portkey               Portkey too (installed by the yardstick's npm install)
//
// Options: --yardstick DIR (default ../shared/bench, or AIGW_YARDSTICK),
// --configs LIST, --prev DIR, --prev-first, --systems LIST (default node-floor,nginx-1w),
// --workloads LIST (default json,sse,rate1000), --reps N, --duration S,
// --out DIR. Needs wrk and nginx (apt-get install -y wrk nginx).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = new URL("..", import.meta.url).pathname;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};

const yardstick = resolve(arg("yardstick", process.env.AIGW_YARDSTICK ?? join(ROOT, "..", "shared", "bench")));
if (!existsSync(join(yardstick, "run.sh"))) {
  process.stderr.write(`no yardstick at ${yardstick} (run.sh missing): pass --yardstick DIR or set AIGW_YARDSTICK\n`);
  process.exit(2);
}
const configs = arg("configs", "full-ai,plain-http").split(",");
const prev = arg("prev", undefined);
const out = resolve(arg("out", join(mkdtempSync(join(tmpdir(), "aigw-yardstick-")), "out")));

// The yardstick's copy, with its dependencies (wrk's Lua script, node-floor's undici, optionally Portkey).
const work = mkdtempSync(join(tmpdir(), "aigw-yardstick-copy-"));
cpSync(yardstick, work, { recursive: true, filter: (src) => !src.includes(`${join(yardstick, "results")}`) });
if (!existsSync(join(work, "node_modules"))) {
  process.stderr.write("installing the yardstick's dependencies ...\n");
  const npm = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: work, stdio: "inherit" });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

// One gateway per (build, config), each on its own ports, its access log in the results.
// The harness runs the systems in the order given in every repetition: --prev-first swaps the two builds, so a change can be measured in both orders.
const builds = [{ name: "aigw", dir: ROOT }, ...(prev === undefined ? [] : [{ name: "aigw-prev", dir: resolve(prev) }])];
if (process.argv.includes("--prev-first")) builds.reverse();
mkdirSync(out, { recursive: true });
const gateways = [];
let port = 18080;
for (const config of configs) {
  const yaml = readFileSync(join(work, "configs", `${config}.yaml`), "utf8");
  for (const build of builds) {
    const data = port++;
    const admin = data + 1000;
    const file = join(work, `${build.name}-${config}.yaml`);
    writeFileSync(file, yaml.replace("127.0.0.1:18080", `127.0.0.1:${data}`).replace("127.0.0.1:19090", `127.0.0.1:${admin}`));
    const log = openSync(join(out, `${build.name}-${config}.log`), "w");
    const child = spawn(process.execPath, [join(build.dir, "bin/aigw"), "serve", "--config", file, "--no-watch"], { cwd: build.dir, stdio: ["ignore", log, log] });
    gateways.push({ label: `${build.name}-${config}`, child, data, admin, auth: /\bkeys:/.test(yaml) ? ["-H", "Authorization: Bearer bench-key"] : [] });
  }
}

const stop = () => {
  for (const g of gateways) if (g.child.exitCode === null) g.child.kill("SIGTERM");
};
process.on("SIGINT", () => {
  stop();
  process.exit(130);
});

try {
  for (const g of gateways) {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await fetch(`http://127.0.0.1:${g.admin}/ready`).then((r) => r.ok, () => false);
      if (!ready) await sleep(100);
    }
    if (!ready) throw new Error(`${g.label} did not become ready (see ${join(out, `${g.label}.log`)})`);
  }
  const args = ["--out", out, "--systems", arg("systems", "node-floor,nginx-1w"), "--workloads", arg("workloads", "json,sse,rate1000")];
  for (const name of ["reps", "duration"]) if (arg(name, undefined) !== undefined) args.push(`--${name}`, arg(name));
  for (const g of gateways) args.push(`${g.label}=http://127.0.0.1:${g.data}`, ...g.auth);
  const run = spawnSync(join(work, "run.sh"), args, { stdio: "inherit" });
  if (run.status !== 0) throw new Error(`run.sh exited with ${run.status}`);
  process.stdout.write(`\n${readFileSync(join(out, "summary.md"), "utf8")}\nresults: ${out}\n`);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
} finally {
  stop();
}
