// Memory of `aigw serve` (issues 3, 13): resident memory once idle after
// start (12 s: the config-build worker thread has stopped), then along N
// requests through the full pipeline (API-key auth, an in-memory token
// bucket per consumer, metrics, access log): after every 50,000, at the
// end, and at rest after the load stopped (once the idle trim has run, or
// `--settle` seconds); for each
// young-generation cap (AIGW_MAX_SEMI_SPACE_MB; 0 = V8's default, up to
// 16 MiB semi-spaces), with the throughput and CPU per request of each.
//
//   npm run build && node bench/memory.mjs [--requests=1000000] [--caps=0,2,4] [--settle=S] [--json]
import autocannon from "autocannon";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CHAT_BODY as body, cpuMs, median, restAfterLoadMs, startGateway, startUpstream, stopAll } from "./lib.mjs";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const REQUESTS = Number(arg("requests", "100000"));
const CAPS = arg("caps", "4").split(",").map(Number);
const JSON_OUT = process.argv.includes("--json");
// Experiments: --env=NAME=value,NAME2=value (e.g. glibc's MALLOC_ARENA_MAX) for the gateway.
const EXTRA_ENV = Object.fromEntries((arg("env", "") || "").split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
// At rest: by default once the idle trim has run (its quiet period, one check, a margin).
const SETTLE_MS = arg("settle", "") === "" ? await restAfterLoadMs({ ...process.env, ...EXTRA_ENV }) : Number(arg("settle", "15")) * 1000;
const KEY = "sk-bench-memory-000000000000001";

const status = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const kbField = (text, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) / 1024;
const rssMb = (pid) => kbField(status(pid), "VmRSS");
/** RSS split: anonymous memory (heaps, buffers) and file-backed pages (node's own binary, paged in as code runs). */
const rssParts = (pid) => {
  const text = status(pid);
  return { anon: +kbField(text, "RssAnon").toFixed(1), file: +kbField(text, "RssFile").toFixed(1) };
};

/** The gateway's V8 heap, from its own /metrics (prom-client's default metrics), in MB. */
async function heapMb(admin) {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^aigw_${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN) / 1024 / 1024;
  const space = (s) => Number(new RegExp(`^aigw_nodejs_heap_space_size_total_bytes\\{space="${s}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapUsed: value("nodejs_heap_size_used_bytes"), heapTotal: value("nodejs_heap_size_total_bytes"), external: value("nodejs_external_memory_bytes"), newSpace: space("new"), oldSpace: space("old"), code: space("code") };
}
const fmtHeap = (h) => Object.entries(h).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");

const config = (upstream) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { logs: { level: info, accessLog: true } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k, consumer: team-a, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }]
consumers: [{ name: team-a }]
rateLimits:
  - { name: bucket, algorithm: token_bucket, limit: 100000000, window: 1s, key: consumer }
upstreams:
  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], rateLimits: [bucket], upstream: fake }
`;

/**
 * Sends `total` requests in slices of 50,000, keeping each slice's
 * throughput and the gateway's RSS after it (the curve shows a leak as a
 * slope, heap sizing as a step at the start).
 */
async function drive(url, total, pid) {
  const rates = [];
  const curve = [];
  let sent = 0;
  while (sent < total) {
    const amount = Math.min(50_000, total - sent);
    const started = performance.now();
    const res = await new Promise((resolve, reject) => {
      autocannon({ url, method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, connections: 50, amount }, (err, r) => (err ? reject(err) : resolve(r)));
    });
    if (res.non2xx > 0 || res.errors > 0) throw new Error(`${res.non2xx} non-2xx, ${res.errors} errors`);
    rates.push(res.requests.total / ((performance.now() - started) / 1000));
    sent += res.requests.total;
    curve.push([sent, +rssMb(pid).toFixed(1)]);
  }
  return { sent, reqPerSec: Math.round(median(rates)), curve };
}

try {
  const upstream = await startUpstream(1);
  const results = [];
  for (const cap of CAPS) {
    const gw = await startGateway(config(upstream), `memory-cap-${cap}`, { AIGW_MAX_SEMI_SPACE_MB: String(cap), ...EXTRA_ENV });
    const url = `${gw.url}/v1/chat/completions`;
    await sleep(12_000);
    const idle = rssMb(gw.pid);
    const partsIdle = rssParts(gw.pid);
    const heapIdle = await heapMb(gw.admin);
    const cpuBefore = cpuMs(gw.pid);
    const { sent, reqPerSec, curve } = await drive(url, REQUESTS, gw.pid);
    const cpuUsPerRequest = +(((cpuMs(gw.pid) - cpuBefore) * 1000) / sent).toFixed(1);
    const atEnd = rssMb(gw.pid);
    // Once the load stops, V8's memory reducer compacts the heap after a few seconds of low allocation.
    await sleep(SETTLE_MS);
    const after = rssMb(gw.pid);
    const partsAfter = rssParts(gw.pid);
    const heapAfter = await heapMb(gw.admin);
    // Steady state: the RSS once the first 100,000 requests have sized the heap.
    const warm = (curve.find(([n]) => n >= 100_000) ?? curve[0])[1];
    results.push({
      cap,
      idleMb: +idle.toFixed(1),
      warmMb: warm,
      atEndMb: +atEnd.toFixed(1),
      afterMb: +after.toFixed(1),
      growthMb: +(after - idle).toFixed(1),
      growthUnderLoadMb: +(atEnd - warm).toFixed(1),
      requests: sent,
      reqPerSec,
      cpuUsPerRequest,
      curve,
      rssIdle: partsIdle,
      rssAfter: partsAfter,
      heapIdle,
      heapAfter,
    });
    if (!JSON_OUT) process.stderr.write(`  cap ${cap}: heap idle: ${fmtHeap(heapIdle)}\n  cap ${cap}: heap after: ${fmtHeap(heapAfter)}\n  cap ${cap}: RSS anon/file idle ${partsIdle.anon}/${partsIdle.file}, after ${partsAfter.anon}/${partsAfter.file} MB\n  cap ${cap}: RSS curve ${curve.map(([n, r]) => `${n / 1000}k:${r}`).join(" ")}\n`);
    process.kill(gw.pid, "SIGTERM");
  }
  if (JSON_OUT) console.log(JSON.stringify({ requests: REQUESTS, settleS: SETTLE_MS / 1000, results }, null, 2));
  else {
    console.log(`gateway memory (MB RSS), full pipeline (auth + memory limit + metrics + access log), ${REQUESTS.toLocaleString("en")} requests, 50 connections`);
    console.log(`| semi-space cap | idle | after 100k | at the end | ${SETTLE_MS / 1000} s later | growth from idle (anon + file) | growth 100k → end | req/s | CPU µs/req |`);
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(`| ${r.cap === 0 ? "V8 default" : `${r.cap} MiB`} | ${r.idleMb.toFixed(1)} | ${r.warmMb.toFixed(1)} | ${r.atEndMb.toFixed(1)} | ${r.afterMb.toFixed(1)} | ${r.growthMb.toFixed(1)} (${(r.rssAfter.anon - r.rssIdle.anon).toFixed(1)} + ${(r.rssAfter.file - r.rssIdle.file).toFixed(1)}) | ${r.growthUnderLoadMb.toFixed(1)} | ${r.reqPerSec} | ${r.cpuUsPerRequest.toFixed(1)} |`);
    }
  }
} finally {
  stopAll();
}
