// What plugins cost on the request path (issue 11), measured side by side in
// one gateway process against the fake upstream (bench/proxy-upstream.mjs):
//
//   headers      a plain route with three built-in header plugins
//                (request-headers with ${consumer}/${route}/${requestId},
//                response-headers, cors on an allowed Origin)  vs  the same
//                route without plugins                      (target < 5%)
//   prompt-guard an AI chat route (OpenAI upstream) with prompt-guard and
//                20 patterns over a 4 KB prompt (nothing matches, as for
//                most requests)  vs  the same route without it (target < 10%)
//
// Throughput: autocannon, 50 connections, the same request to both routes of
// a pair, the routes interleaved, 9 × 4 s (3 × 3 s with --quick). Each cost
// is the median over runs of the run's ratio to its own baseline, from the
// gateway's CPU time per request (Linux /proc), with the req/s ratio
// alongside. The gateway and the upstream are pinned to a core each when
// `taskset` exists.
//
//   npm run build && node bench/plugins.mjs [--quick] [--json]
import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = new URL("..", import.meta.url).pathname;
const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 3 : 9;
const SECONDS = QUICK ? 3 : 4;
const children = [];
const taskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

function start(args, cpu) {
  const command = taskset ? "taskset" : process.execPath;
  const full = taskset ? ["-c", String(cpu), process.execPath, ...args] : args;
  const p = spawn(command, full, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } });
  children.push(p);
  return p;
}
function firstLine(p, test) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.on("line", (line) => {
      try {
        const v = JSON.parse(line);
        if (test(v)) {
          rl.removeAllListeners("line");
          p.stdout.resume();
          resolve(v);
        }
      } catch {
        // not JSON
      }
    });
    p.once("exit", (code) => reject(new Error(`child exited (${code})`)));
  });
}
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
};
process.on("exit", stopAll);

// Twenty patterns of the kind a team writes: project code names, ticket and
// document ids, internal host names, markers. None occurs in the prompt.
const PATTERNS = [
  "(?i)project\\s+(falcon|osprey|kestrel)",
  "(?i)internal use only",
  "(?i)strictly confidential",
  "\\bPOL-[0-9]{8}\\b",
  "\\bCLM-[0-9]{4}-[0-9]{4}\\b",
  "\\bJIRA-[0-9]{3,6}\\b",
  "\\b[a-z0-9-]+\\.corp\\.example\\.com\\b",
  "\\b10\\.20\\.[0-9]{1,3}\\.[0-9]{1,3}\\b",
  "(?i)do not distribute",
  "\\bACCT[0-9]{10}\\b",
  "\\bIBAN [A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,30}\\b",
  "(?i)password\\s*[:=]",
  "(?i)secret\\s*[:=]",
  "\\bEMP-[0-9]{6}\\b",
  "(?i)salary (band|grade) [A-Z][0-9]",
  "\\bINV-[0-9]{2}-[0-9]{5}\\b",
  "(?i)merger with [A-Z][a-z]+",
  "\\b[A-Z]{3}-RESTRICTED\\b",
  "(?i)board minutes",
  "\\bcase #[0-9]{5,}\\b",
];

function config(upstream) {
  const patterns = PATTERNS.map((p) => JSON.stringify(p)).join(", ");
  return `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { logs: { level: info, accessLog: true } }
upstreams:
  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
  - { name: ai, type: openai, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: plain, match: { path: /plain/v1/chat/completions }, upstream: fake, rewrite: { stripPrefix: /plain } }
  - name: headers
    match: { path: /headers/v1/chat/completions }
    upstream: fake
    rewrite: { stripPrefix: /headers }
    plugins:
      - { name: request-headers, config: { set: { x-route: "\${route}", x-request: "\${requestId}", x-team: platform }, remove: [x-debug] } }
      - { name: response-headers, config: { set: { cache-control: no-store, x-served-by: aigw }, remove: [openai-processing-ms] } }
      - { name: cors, config: { origins: ["https://app.example.com"], methods: [POST] } }
  - { name: chat, match: { path: /v1/chat/completions, headers: { x-bench: chat } }, upstream: ai }
  - name: guarded
    match: { path: /v1/chat/completions, headers: { x-bench: guarded } }
    upstream: ai
    plugins:
      - { name: prompt-guard, config: { policy: redact, patterns: [${patterns}] } }
`;
}

// A 4 KB prompt of ordinary text (a support conversation).
const SENTENCES = [
  "The customer reports that the export job stopped after the last update and asks whether the schedule was changed.",
  "We checked the logs of the nightly run and found that the job finished, but the file was written to the old folder.",
  "Please explain how to move the output to the new location and how to confirm that tomorrow's run uses it.",
  "They also want to know whether the retention period of 30 days still applies to the files written before the change.",
];
let prompt = "";
for (let i = 0; prompt.length < 4096; i++) prompt += (prompt === "" ? "" : " ") + SENTENCES[i % SENTENCES.length];
prompt = prompt.slice(0, 4096);
const plainBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello in five words, please." }] });
const chatBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "system", content: "You are a helpful support assistant." }, { role: "user", content: prompt }] });

function load(url, body, headers, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url, method: "POST", body, headers: { "content-type": "application/json", ...headers }, connections: 50, duration: seconds }, (err, res) => {
      if (err) reject(err);
      else if (res.non2xx > 0 || res.errors > 0) reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors`));
      else resolve(res);
    });
  });
}
/** CPU time (user + system) a process has used, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

try {
  const upstream = start(["bench/proxy-upstream.mjs"], 1);
  const upstreamUrl = `http://127.0.0.1:${(await firstLine(upstream, (v) => typeof v.port === "number")).port}`;
  const dir = mkdtempSync(join(tmpdir(), "aigw-plugins-bench-"));
  writeFileSync(join(dir, "gateway.yaml"), config(upstreamUrl));
  const gw = start(["bin/aigw", "serve", "--config", join(dir, "gateway.yaml"), "--no-watch"], 0);
  const url = (await firstLine(gw, (v) => v.msg === "aigw listening")).data;

  const origin = { origin: "https://app.example.com" };
  const scenarios = [
    // The same request (headers included) to both routes of a pair: only the route differs.
    ["plain", `${url}/plain/v1/chat/completions`, plainBody, origin],
    ["3 header plugins", `${url}/headers/v1/chat/completions`, plainBody, origin],
    ["chat, 4 KB prompt", `${url}/v1/chat/completions`, chatBody, { "x-bench": "chat" }],
    ["+ prompt-guard, 20 patterns", `${url}/v1/chat/completions`, chatBody, { "x-bench": "guarded" }],
  ];
  for (const [, u, b, h] of scenarios) await load(u, b, h, 2);
  const rps = Object.fromEntries(scenarios.map(([n]) => [n, []]));
  const cpu = Object.fromEntries(scenarios.map(([n]) => [n, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, u, b, h] of scenarios) {
      const before = cpuMs(gw.pid);
      const res = await load(u, b, h, SECONDS);
      rps[name].push(res.requests.average);
      cpu[name].push(((cpuMs(gw.pid) - before) * 1000) / res.requests.total);
    }
    if (!JSON_OUT) process.stderr.write(`  run ${run + 1}/${RUNS} done\n`);
  }
  const result = { runs: RUNS, seconds: SECONDS, promptBytes: Buffer.byteLength(prompt), patterns: PATTERNS.length, throughput: {}, cpuUsPerRequest: {}, cost: {}, throughputCost: {} };
  for (const [name] of scenarios) {
    result.throughput[name] = Math.round(median(rps[name]));
    result.cpuUsPerRequest[name] = Math.round(median(cpu[name]) * 10) / 10;
  }
  // Cost = the share of throughput a CPU-bound gateway loses, 1 - base/with,
  // per run against the same run's baseline (seconds apart), then the median.
  const costs = { "3 header plugins": ["3 header plugins", "plain"], "prompt-guard, 20 patterns, 4 KB": ["+ prompt-guard, 20 patterns", "chat, 4 KB prompt"] };
  const perRun = (series, feature, baseline, f) => median(series[feature].map((v, i) => f(v, series[baseline][i])));
  for (const [label, [feature, baseline]] of Object.entries(costs)) {
    result.cost[label] = perRun(cpu, feature, baseline, (w, b) => 1 - b / w);
    result.throughputCost[label] = perRun(rps, feature, baseline, (w, b) => 1 - w / b);
  }
  if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
  else {
    const pct = (v) => `${(v * 100).toFixed(1)}%`;
    console.log(`plugin cost (median of ${RUNS} × ${SECONDS} s, 50 connections)`);
    console.log(`  ${"scenario".padEnd(30)} ${"req/s".padStart(7)} ${"gateway CPU µs/req".padStart(19)}`);
    for (const [name] of scenarios) console.log(`  ${name.padEnd(30)} ${String(result.throughput[name]).padStart(7)} ${result.cpuUsPerRequest[name].toFixed(1).padStart(19)}`);
    const line = (label, target) => console.log(`${label} costs ${pct(result.cost[label])} of throughput by CPU per request (${pct(result.throughputCost[label])} by req/s) (target < ${target})`);
    line("3 header plugins", "5%");
    line("prompt-guard, 20 patterns, 4 KB", "10%");
  }
} finally {
  stopAll();
}
