// Cold start: the wall time of `aigw validate gateway.yaml` (spawn to exit)
// and of `aigw serve --config gateway.yaml` (spawn to its "aigw listening"
// line), median of 5 runs. CI runs `validate` on every pull request; pods and
// scale-out wait for `serve`.
//
//   npm run bench:cold                                     # this build only
//   npm run bench:cold -- --other /path/to/other/checkout  # A/B against another build
//
// With --other, the two builds alternate run by run, once in each start
// order, so a machine that drifts during the bench hurts neither more.
// The demo config is copied with free ports so the bench never collides
// with a gateway already running.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { ROOT, freePort, median } from "./lib.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const runs = Number(arg("runs", "5"));
const other = arg("other", undefined);
const json = process.argv.includes("--json");

const dir = mkdtempSync(join(tmpdir(), "aigw-bench-cold-"));
const file = join(dir, "gateway.yaml");
const demo = readFileSync(join(ROOT, "gateway.yaml"), "utf8");
writeFileSync(file, demo.replace(/listen: \S+/, `listen: 127.0.0.1:${await freePort()}`).replace(/admin: \S+/, `admin: 127.0.0.1:${await freePort()}`));

/** Milliseconds from spawn to exit of `aigw validate`; rejects unless it exits 0. */
function timeValidate(bin) {
  const t0 = performance.now();
  const p = spawn(process.execPath, [bin, "validate", file], { stdio: ["ignore", "ignore", "inherit"] });
  return new Promise((res, rej) => p.once("exit", (code) => (code === 0 ? res(performance.now() - t0) : rej(new Error(`validate exited ${code}`)))));
}

/** Milliseconds from spawn to the "aigw listening" log line of `aigw serve`; the process is stopped by its PID and awaited. */
function timeServe(bin) {
  const t0 = performance.now();
  const p = spawn(process.execPath, [bin, "serve", "--config", file, "--no-watch"], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((res) => p.once("exit", res));
  return new Promise((res, rej) => {
    let ms;
    const rl = createInterface({ input: p.stdout });
    rl.on("line", (line) => {
      if (ms !== undefined || !line.includes('"aigw listening"')) return;
      ms = performance.now() - t0;
      p.stdout.resume();
      process.kill(p.pid, "SIGTERM");
    });
    exited.then((code) => (ms === undefined ? rej(new Error(`serve exited ${code} before listening`)) : res(ms)));
  });
}

const builds = other === undefined ? { this: join(ROOT, "bin/aigw") } : { this: join(ROOT, "bin/aigw"), other: join(resolve(other), "bin/aigw") };
const names = Object.keys(builds);
const orders = names.length === 1 ? [names] : [names, [...names].reverse()];
const results = {};
for (const [i, order] of orders.entries()) {
  for (const name of order) results[name] ??= { validate: [], serve: [] };
  const sample = { validate: Object.fromEntries(order.map((n) => [n, []])), serve: Object.fromEntries(order.map((n) => [n, []])) };
  // One warm-up each: the first spawn pays for the file system cache.
  for (const name of order) {
    await timeValidate(builds[name]);
    await timeServe(builds[name]);
  }
  for (let r = 0; r < runs; r++) {
    for (const name of order) sample.validate[name].push(await timeValidate(builds[name]));
    for (const name of order) sample.serve[name].push(await timeServe(builds[name]));
  }
  for (const name of order) {
    results[name].validate.push(...sample.validate[name]);
    results[name].serve.push(...sample.serve[name]);
    if (!json) console.log(`order ${i + 1} (${order.join(", ")}): ${name}: validate ${median(sample.validate[name]).toFixed(0)} ms, serve ready ${median(sample.serve[name]).toFixed(0)} ms (median of ${runs})`);
  }
}
rmSync(dir, { recursive: true, force: true });
const summary = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { validateMs: Math.round(median(r.validate)), serveReadyMs: Math.round(median(r.serve)) }]));
if (json) console.log(JSON.stringify(summary));
else for (const [name, s] of Object.entries(summary)) console.log(`${name}: validate ${s.validateMs} ms, serve ready ${s.serveReadyMs} ms (median of all runs)`);
