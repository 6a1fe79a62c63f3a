// Reload under traffic: the event-loop delay that in-flight requests see while
// a 10,000-route config reloads (parse and checks in a worker thread, compile
// in slices on the main thread). `npm run bench:reload`; `--json` for JSON.
import { fork } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import pino from "pino";
import { generateConfig } from "./config-fixture.mjs";
import { serve } from "../dist/server/serve.js";
import { systemClock } from "../dist/deps.js";

const ROUTES = 10_000;
const RELOADS = 6;
const json = process.argv.includes("--json");
const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;

function version(n) {
  return generateConfig(ROUTES)
    .replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:0")
    .replace("admin: 127.0.0.1:9090", "admin: 127.0.0.1:0")
    .replace("logs: { level: info, accessLog: true", "logs: { level: warn, accessLog: false")
    .replace(/^upstreams:\n/m, "upstreams:\n  - { name: bench-mock, type: mock }\n")
    .replace(/^routes:\n/m, `routes:\n  - { name: bench-models, match: { path: /v1/models }, upstream: bench-mock, timeoutMs: ${10_000 + n} }\n`);
}

const dir = mkdtempSync(join(tmpdir(), "aigw-bench-reload-"));
const file = join(dir, "gateway.yaml");
writeFileSync(file, version(0));
const { serving, first } = await serve({
  config: file,
  cwd: dir,
  env: {},
  readFile: (f) => readFile(f, "utf8"),
  logger: pino({ level: "warn" }),
  clock: systemClock,
  random: Math.random,
  watch: false,
});
if (serving === null) {
  console.error("the bench config is invalid:", first.findings.slice(0, 5));
  process.exit(1);
}
const routes = serving.gateway.currentSnapshot().routes.length;

const load = fork(new URL("./reload-load.mjs", import.meta.url), [`${serving.dataUrl}/v1/models`, "20"], { stdio: "inherit" });
const loadReport = new Promise((resolve) => load.once("message", resolve));
await new Promise((r) => setTimeout(r, 2000)); // warm up

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
await new Promise((r) => setTimeout(r, 3000));
const idle = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };

const reloads = [];
for (let n = 1; n <= RELOADS; n++) {
  writeFileSync(file, version(n));
  histogram.reset();
  const started = performance.now();
  const record = await serving.reloader.reload("admin");
  const took = performance.now() - started;
  reloads.push({ result: record.result, ms: Math.round(took), p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) });
  await new Promise((r) => setTimeout(r, 500));
}
histogram.disable();
load.send("stop");
const traffic = await loadReport;
await serving.stop();

const worstP99 = Math.max(...reloads.map((r) => r.p99));
const result = { routes, idle, reloads, worstP99, traffic, target: { p99Ms: 50 }, pass: worstP99 < 50 && reloads.every((r) => r.result === "success") && traffic.failed === 0 };
if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`aigw reload under traffic — ${routes} routes, 20 keep-alive clients, node ${process.version}`);
  console.log(`event-loop delay (monitorEventLoopDelay, 1 ms resolution), ms`);
  console.log(`  idle (no reload)    p50 ${idle.p50}  p99 ${idle.p99}  max ${idle.max}`);
  for (const [i, r] of reloads.entries()) console.log(`  reload ${i + 1} (${r.result}, ${r.ms} ms)  p50 ${r.p50}  p99 ${r.p99}  max ${r.max}`);
  console.log(`worst p99 during a reload: ${worstP99} ms (target < 50 ms) → ${worstP99 < 50 ? "PASS" : "FAIL"}`);
  console.log(`traffic: ${traffic.ok} ok, ${traffic.limited} rate-limited (429 from the fixture's global 5,000 req/s limit), ${traffic.failed} failed; client latency p50 ${traffic.p50.toFixed(2)} ms, p99 ${traffic.p99.toFixed(2)} ms, max ${traffic.max.toFixed(1)} ms`);
}
process.exit(0);
