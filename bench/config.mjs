// Config pipeline benchmark: `npm run bench:config` (add `-- --json` for JSON).
//
// 1. validate+compile: one buildSnapshot call (parse → interpolate → schema →
//    semantic → canonical → compile) on a generated 10,000-route file; the
//    first (cold) run, then the median of 5 warm runs, against the 2 s target.
// 2. lookup: normalizePath + router.match over 1,000,000 seeded requests for
//    10, 100, 1,000 and 10,000 routes; the cost should not grow with N.
// See docs/benchmarks.md for the method and how to read the figures.

import os from "node:os";
import { buildSnapshot } from "../dist/compile/build.js";
import { normalizePath } from "../dist/compile/router/path.js";
import { runPipeline } from "../dist/config/run-stages.js";
import { TEMPLATES, generateConfig, generateRequests } from "./config-fixture.mjs";

const SIZES = [10, 100, 1000, 10000];
const BIG = 10000;
const TARGET_MS = 2000;
const BUILD_RUNS = 5;
const PIPELINE_RUNS = 3;
const SCALING_RUNS = 3;
const LOOKUPS = 1_000_000;
const LOOKUP_PASSES = 3;
const SEED = 0x5eed;
const FILE = "gateway.yaml";
const OPTIONS = { mode: "validate", env: {}, fileExists: () => true };

const json = process.argv.includes("--json");
const log = json ? () => {} : (line = "") => process.stdout.write(line + "\n");

const nowNs = () => process.hrtime.bigint();
const msSince = (t0) => Number(nowNs() - t0) / 1e6;
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round = (x, digits = 1) => Number(x.toFixed(digits));
const fmtInt = (x) => Math.round(x).toLocaleString("en-US");
const pct = (x) => (100 * x).toFixed(1) + "%";

function timedBuild(text) {
  const t0 = nowNs();
  const result = buildSnapshot(text, FILE, OPTIONS);
  return { ms: msSince(t0), result };
}

/** Exit 1 with the first findings when a generated file is not valid. */
function assertValid(n, result) {
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0 && result.snapshot !== undefined) return;
  process.stderr.write(`bench: the generated ${n}-route config has ${errors.length} error finding(s):\n`);
  for (const d of result.diagnostics.slice(0, 10)) {
    process.stderr.write(`  ${d.file}:${d.line}:${d.column} ${d.severity} [${d.rule}] ${d.message}\n`);
  }
  process.exit(1);
}

/** runPipeline alone: buildSnapshot minus the compile step. */
function timedPipeline(text) {
  const t0 = nowNs();
  runPipeline(text, FILE, OPTIONS);
  return msSince(t0);
}

/** One pass of normalizePath + router.match over every request. */
function lookupPass(router, paths, templates) {
  let matched = 0;
  let rejected = 0;
  const t0 = nowNs();
  for (let k = 0; k < paths.length; k++) {
    const norm = normalizePath(paths[k]);
    if (!norm.ok) {
      rejected++;
      continue;
    }
    const t = TEMPLATES[templates[k]];
    const route = router.match({ method: t.method, path: norm.path, host: t.host, header: t.header, model: undefined });
    if (route !== null) matched++;
  }
  return { ns: Number(nowNs() - t0), matched, rejected };
}

/** ns/lookup (median of the passes after one warm-up) and the outcome mix, for `n` routes. */
function measureLookups(router, n, spread) {
  const { paths, templates } = generateRequests(n, LOOKUPS, SEED, spread);
  let pathChars = 0;
  for (const p of paths) pathChars += p.length;
  lookupPass(router, paths, templates); // warm-up
  const passes = [];
  for (let r = 0; r < LOOKUP_PASSES; r++) passes.push(lookupPass(router, paths, templates));
  const first = passes[0];
  return {
    nsPerLookup: median(passes.map((p) => p.ns)) / LOOKUPS,
    matched: first.matched / LOOKUPS,
    rejected: first.rejected / LOOKUPS,
    missed: (LOOKUPS - first.matched - first.rejected) / LOOKUPS,
    avgPathLength: pathChars / LOOKUPS,
  };
}

const started = nowNs();
const cpus = os.cpus();
const machine = {
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
  cpuModel: cpus[0]?.model ?? "unknown",
  loadAverage1m: round(os.loadavg()[0], 2),
};
log(`aigw config benchmark — node ${machine.node}, ${machine.platform}, ${machine.cpus} CPUs (${machine.cpuModel}), load average ${machine.loadAverage1m}`);
log();

// --- 1. validate + compile, 10,000 routes -----------------------------------
const bigText = generateConfig(BIG);
const cold = timedBuild(bigText); // the first buildSnapshot in this process: also the warm-up
assertValid(BIG, cold.result);
const warnings = cold.result.diagnostics.filter((d) => d.severity === "warning").length;
const warm = [];
let bigSnapshot = cold.result.snapshot;
for (let r = 0; r < BUILD_RUNS; r++) {
  const run = timedBuild(bigText);
  warm.push(run.ms);
  bigSnapshot = run.result.snapshot;
}
const warmMedian = median(warm);
const pass = warmMedian < TARGET_MS;

const pipelineRuns = [];
for (let r = 0; r < PIPELINE_RUNS; r++) pipelineRuns.push(timedPipeline(bigText));
const pipelineMs = median(pipelineRuns);
const compileMs = Math.max(0, warmMedian - pipelineMs);

log(`Validate + compile: one buildSnapshot call (parse → interpolate → schema → semantic → canonical → compile)`);
log(`  file: ${fmtInt(BIG)} routes, ${(Buffer.byteLength(bigText) / 1e6).toFixed(2)} MB, ${bigText.split("\n").length - 1} lines; 0 errors, ${warnings} warnings`);
log(`  cold, first run (includes compiling the ajv validator): ${fmtInt(cold.ms).padStart(6)} ms`);
log(`  warm, median of ${BUILD_RUNS} (after the cold run as warm-up):  ${fmtInt(warmMedian).padStart(6)} ms   (min ${fmtInt(Math.min(...warm))}, max ${fmtInt(Math.max(...warm))})`);
log(`  target: under ${fmtInt(TARGET_MS)} ms for ${fmtInt(BIG)} routes → ${pass ? "PASS" : "FAIL"}`);
log(`  split, median of ${PIPELINE_RUNS} runPipeline calls: parse → canonical ${fmtInt(pipelineMs)} ms; compile ≈ ${fmtInt(compileMs)} ms (warm median − pipeline)`);
log();

// --- 2. lookups, and validate+compile at every size -------------------------
const lookups = [];
for (const n of SIZES) {
  let snapshot;
  let buildMs;
  if (n === BIG) {
    snapshot = bigSnapshot;
    buildMs = warmMedian;
  } else {
    const text = generateConfig(n);
    const runs = [];
    for (let r = 0; r < SCALING_RUNS; r++) {
      const run = timedBuild(text);
      assertValid(n, run.result);
      runs.push(run.ms);
      snapshot = run.result.snapshot;
    }
    buildMs = median(runs);
  }
  lookups.push({ routes: n, ...measureLookups(snapshot.router, n, n), buildMs });
}
const base = lookups[0].nsPerLookup;
for (const row of lookups) row.ratio = row.nsPerLookup / base;
const ratio = lookups[lookups.length - 1].ratio;
// Control: the 10,000-route table, with requests drawn from its first 10 routes only.
const control = { routes: BIG, spread: SIZES[0], ...measureLookups(bigSnapshot.router, BIG, SIZES[0]) };
control.ratio = control.nsPerLookup / base;

log(`Route lookup: normalizePath + router.match, ${fmtInt(LOOKUPS)} seeded requests per size, median of ${LOOKUP_PASSES} passes after 1 warm-up`);
log(`  routes   ns/lookup   vs 10 routes   matched   no route   rejected (400)   avg path   validate+compile   µs/route`);
for (const r of lookups) {
  log(
    `  ${fmtInt(r.routes).padStart(6)}   ${r.nsPerLookup.toFixed(1).padStart(9)}   ${(r.ratio.toFixed(2) + "x").padStart(12)}   ${pct(r.matched).padStart(7)}   ${pct(r.missed).padStart(8)}   ${pct(r.rejected).padStart(14)}   ${r.avgPathLength.toFixed(1).padStart(8)}   ${(fmtInt(r.buildMs) + " ms").padStart(16)}   ${(1000 * r.buildMs / r.routes).toFixed(0).padStart(8)}`,
  );
}
log(`lookup cost ratio 10000/10 routes: ${ratio.toFixed(1)}x`);
log(
  `control: ${fmtInt(BIG)} routes, requests drawn from the first ${control.spread} routes only: ${control.nsPerLookup.toFixed(1)} ns/lookup ` +
    `(${control.ratio.toFixed(2)}x vs 10 routes; matched ${pct(control.matched)}, no route ${pct(control.missed)}, rejected ${pct(control.rejected)})`,
);
log();
const totalS = msSince(started) / 1000;
log(`validate+compile: one buildSnapshot of that size (median of ${SCALING_RUNS}; 10,000: the warm median above); µs/route: the same ÷ routes, flat = linear`);
log(`total bench time ${totalS.toFixed(1)} s`);

if (json) {
  const out = {
    machine,
    validateCompile: {
      routes: BIG,
      bytes: Buffer.byteLength(bigText),
      errors: 0,
      warnings,
      coldMs: round(cold.ms),
      warmMedianMs: round(warmMedian),
      warmRunsMs: warm.map((x) => round(x)),
      targetMs: TARGET_MS,
      pass,
      pipelineMedianMs: round(pipelineMs),
      compileEstimateMs: round(compileMs),
    },
    lookup: {
      requests: LOOKUPS,
      passes: LOOKUP_PASSES,
      seed: SEED,
      rows: lookups.map((r) => ({
        routes: r.routes,
        nsPerLookup: round(r.nsPerLookup),
        ratioTo10: round(r.ratio, 2),
        matched: round(r.matched, 4),
        noRoute: round(r.missed, 4),
        rejected: round(r.rejected, 4),
        avgPathLength: round(r.avgPathLength),
        validateCompileMs: round(r.buildMs),
      })),
      ratio10000to10: round(ratio, 2),
      control: {
        routes: control.routes,
        requestsDrawnFromFirst: control.spread,
        nsPerLookup: round(control.nsPerLookup),
        ratioTo10: round(control.ratio, 2),
        matched: round(control.matched, 4),
        noRoute: round(control.missed, 4),
        rejected: round(control.rejected, 4),
        avgPathLength: round(control.avgPathLength),
      },
    },
    totalSeconds: round(totalS),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
}
