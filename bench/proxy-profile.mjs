// Where the gateway's CPU time goes under load.
//
//   npm run build && node bench/proxy-profile.mjs [--seconds 8] [--top 25] [--keep]
//   node bench/proxy-profile.mjs --summarise FILE.cpuprofile [--top 25]
//
// For each workload (JSON, SSE): starts the fake upstream, then
// `node --cpu-prof bin/aigw serve` (access log on, to a file), drives it with
// autocannon (50 connections) for --seconds after a 2 s warm-up, stops it
// with SIGTERM (the profile is written on exit), and prints the top
// functions by self time, self time per package / area, and the inclusive
// time of the gateway's own request functions. Pinned when taskset is
// there (gateway on CPU 0, upstream and autocannon on CPU 1).

import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : argv[i + 1];
};
const TOP = Number(opt("--top", 25));
const SECONDS = Number(opt("--seconds", 8));
const KEEP = argv.includes("--keep");

// ---------------------------------------------------------------- summary

/** Which package or area a frame belongs to. */
function areaOf(frame) {
  const url = frame.url ?? "";
  if (url === "") {
    const name = frame.functionName;
    if (name === "(garbage collector)" || name === "(program)" || name === "(idle)" || name === "(root)") return name;
    return "(native / builtin)";
  }
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0].replace(/^internal$/, "internal/" + (url.split("/")[1] ?? ""));
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) {
    const rest = url.slice(nm + 14).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return "aigw " + url.slice(dist + 6).split("/").slice(0, -1).join("/");
  return url.replace(/^file:\/\//, "");
}

const shortUrl = (url) => {
  if (!url) return "";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) return url.slice(nm + 14);
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return "dist/" + url.slice(dist + 6);
  return url.replace(/^file:\/\//, "");
};

/** Self and inclusive times from a .cpuprofile (Chrome DevTools format). */
export function summarise(profile, top = TOP) {
  const byId = new Map();
  for (const n of profile.nodes) byId.set(n.id, { ...n, parent: null });
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c).parent = n.id;
  const self = new Map(); // node id -> µs
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the gap after it.
    const dt = timeDeltas[i + 1] ?? 0;
    if (dt <= 0) continue;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    total += dt;
  }
  const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === "(idle)").reduce((s, [, t]) => s + t, 0);
  const busy = total - idle;
  const key = (f) => `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const fnSelf = new Map();
  const areaSelf = new Map();
  const inclusive = new Map();
  for (const [id, t] of self) {
    const node = byId.get(id);
    const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    fnSelf.set(key(f), (fnSelf.get(key(f)) ?? 0) + t);
    const area = areaOf(f);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + t);
    // inclusive: every distinct aigw function on the stack
    const seen = new Set();
    for (let n = node; n !== undefined && n !== null; n = n.parent === null ? null : byId.get(n.parent)) {
      const cf = n.callFrame;
      if (!cf.url.includes("/dist/")) continue;
      const k = key(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + t);
    }
  }
  const sortDesc = (m) => [...m].sort((a, b) => b[1] - a[1]);
  const pct = (t) => ((100 * t) / busy).toFixed(1).padStart(5) + "%";
  const ms = (t) => (t / 1000).toFixed(0).padStart(7) + " ms";
  const lines = [];
  lines.push(`profile: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%), idle ${(idle / 1e6).toFixed(1)} s; percentages are of busy time`);
  lines.push("");
  lines.push(`top ${top} functions by self time:`);
  for (const [k, t] of sortDesc(fnSelf).slice(0, top)) lines.push(`  ${pct(t)} ${ms(t)}  ${k}`);
  lines.push("");
  lines.push("self time by package / area:");
  for (const [k, t] of sortDesc(areaSelf).slice(0, top)) lines.push(`  ${pct(t)} ${ms(t)}  ${k}`);
  lines.push("");
  lines.push("inclusive time of aigw functions (dist/):");
  for (const [k, t] of sortDesc(inclusive).slice(0, top)) lines.push(`  ${pct(t)} ${ms(t)}  ${k}`);
  return {
    text: lines.join("\n"),
    busyUs: busy,
    totalUs: total,
    functions: sortDesc(fnSelf).slice(0, top).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / busy) / 10 })),
    areas: sortDesc(areaSelf).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / busy) / 10 })),
    inclusive: sortDesc(inclusive).slice(0, top).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / busy) / 10 })),
  };
}

// ---------------------------------------------------------------- run

const children = [];
function spawnNode(name, args, { cpu, stdout, stderr }) {
  const useTaskset = cpu !== undefined;
  const proc = spawn(useTaskset ? "taskset" : process.execPath, useTaskset ? ["-c", String(cpu), process.execPath, ...args] : args, {
    cwd: ROOT,
    stdio: ["ignore", stdout, stderr],
    env: { ...process.env, NODE_ENV: "production" },
  });
  const child = { name, proc, pid: proc.pid, exited: false };
  proc.once("exit", () => (child.exited = true));
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exited) return;
  const exited = new Promise((r) => child.proc.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  if ((await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) || child.exited) return;
  process.kill(child.pid, "SIGKILL");
  await Promise.race([exited, sleep(2000)]);
}

async function waitFor(check, what, ms = 15_000) {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const v = check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function profileWorkload(dir, pinned, workload) {
  const up = spawnNode("upstream", ["bench/proxy-upstream.mjs"], { cpu: pinned ? 1 : undefined, stdout: "pipe", stderr: "inherit" });
  const port = await new Promise((resolve, reject) => {
    up.proc.once("exit", () => reject(new Error("upstream exited")));
    createInterface({ input: up.proc.stdout }).once("line", (l) => resolve(JSON.parse(l).port));
  });
  up.proc.stdout.resume();
  // The config in a folder of its own: the gateway watches the config's
  // folder, and a busy log file next to it would cost the watcher CPU.
  const configDir = join(dir, `config-${workload}`);
  mkdirSync(configDir);
  const config = join(configDir, "gateway.yaml");
  writeFileSync(
    config,
    `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 2000 } }
observability: { logs: { level: info, accessLog: true } }
upstreams:
  - { name: fake, type: http, targets: [{ url: "http://127.0.0.1:${port}" }], pool: { connections: 128 } }
routes:
  - { name: chat, match: { path: /v1/chat/completions, methods: [POST] }, upstream: fake }
`,
  );
  const profDir = join(dir, `prof-${workload}`);
  const logFile = join(dir, `gateway-${workload}.log`);
  const fd = openSync(logFile, "w");
  const gw = spawnNode("gateway", ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "bin/aigw", "serve", "--config", config], { cpu: pinned ? 0 : undefined, stdout: fd, stderr: "inherit" });
  closeSync(fd);
  const listening = await waitFor(() => {
    if (gw.exited) throw new Error("gateway exited");
    const line = readFileSync(logFile, "utf8").split("\n").find((l) => l.includes('"msg":"aigw listening"'));
    return line === undefined ? undefined : JSON.parse(line);
  }, "the gateway");
  const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello to the benchmark." }], ...(workload === "sse" ? { stream: true } : {}) });
  const load = (duration) =>
    autocannon({ url: listening.data + "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body, connections: 50, duration });
  await load(2);
  const r = await load(SECONDS);
  process.stdout.write(`${workload}: ${Math.round(r.requests.average)} req/s under the profiler (${r.non2xx} non-2xx, ${r.errors} errors)\n`);
  await stop(gw);
  await stop(up);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the others: the reload build worker).
  const file = await waitFor(() => readdirSync(profDir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f)), "the main thread's .cpuprofile", 5000);
  return join(profDir, file);
}

async function main() {
  const summariseFile = opt("--summarise", undefined);
  if (summariseFile !== undefined) {
    process.stdout.write(summarise(JSON.parse(readFileSync(summariseFile, "utf8"))).text + "\n");
    return;
  }
  let pinned = false;
  if (os.availableParallelism() >= 2) {
    try {
      execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
      pinned = true;
    } catch {
      // no taskset
    }
  }
  process.stdout.write(`pinning: ${pinned ? "gateway on CPU 0; upstream and autocannon on CPU 1" : "none"}\n`);
  const dir = mkdtempSync(join(os.tmpdir(), "aigw-profile-"));
  try {
    for (const workload of ["json", "sse"]) {
      const file = await profileWorkload(dir, pinned, workload);
      process.stdout.write(`\n=== ${workload.toUpperCase()} (${KEEP ? file : "profile removed; --keep to keep it"})\n`);
      process.stdout.write(summarise(JSON.parse(readFileSync(file, "utf8"))).text + "\n\n");
    }
  } finally {
    for (const c of children) await stop(c).catch(() => undefined);
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    () => process.exit(0),
    async (err) => {
      process.stderr.write(`profile: ${err.stack ?? err}\n`);
      for (const c of children) await stop(c).catch(() => undefined);
      process.exit(1);
    },
  );
}
