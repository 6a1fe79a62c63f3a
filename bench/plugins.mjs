// What plugins cost on the request path (issue 11), measured side by side in
// two gateway processes on the same config (one takes the baselines'
// traffic, the other the plugin routes'), against the fake upstream
// (bench/proxy-upstream.mjs):
//
//   headers      a plain route with three built-in header plugins
//                (request-headers with ${consumer}/${route}/${requestId},
//                response-headers, cors on an allowed Origin)  vs  the same
//                route without plugins                      (target < 5%)
//   prompt-guard an AI chat route (OpenAI upstream) with prompt-guard and
//                20 patterns over a 4 KB prompt (nothing matches, as for
//                most requests)  vs  the same route without it (target < 10%)
//
// Side by side (lib.mjs sideBySide): two gateway processes on the same
// config share CPU 0; in each round the baseline route on one and the plugin
// route on the other are under load at the same time (50 connections each),
// so the VM's drift (up to 40% between minutes) hits both alike. A round's
// cost is 1 - baseline CPU µs per request / feature's (the throughput a
// CPU-bound gateway loses); after both processes have served both routes,
// the rounds alternate the feature between process A and B; the figure is the mean of the two ways' medians (what differs
// between the processes cancels), with each way and the rounds' range. The
// two ways differ by about 20 points (measured: plugins on B +20%, on A
// -2%): per-request CPU on this VM depends on more than the code a process
// runs (its JIT state, the order it saw traffic, how the scheduler shares
// the core), which is why one way alone proves nothing. 10 rounds × 5 s (2 × 3 s with
// --quick). Run one after the other instead, the same measurement gave 9–11%
// for the header plugins, two identical processes differing by up to 16%.
//
//   npm run build && node bench/plugins.mjs [--quick] [--json]
import { bothWays, load, median, pct, sideBySide, startGateway, startUpstream, stopAll } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const ROUNDS = QUICK ? 2 : 10;
const SECONDS = QUICK ? 3 : 5;

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

try {
  const upstream = await startUpstream(1);
  const gateways = { A: await startGateway(config(upstream), "plugins-a"), B: await startGateway(config(upstream), "plugins-b") };
  const origin = { origin: "https://app.example.com" };
  // The same request (headers included) to both routes of a pair: only the route differs.
  const routes = {
    plain: { path: "/plain/v1/chat/completions", body: plainBody, headers: origin },
    "3 header plugins": { path: "/headers/v1/chat/completions", body: plainBody, headers: origin },
    "chat, 4 KB prompt": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "chat" } },
    "+ prompt-guard, 20 patterns": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "guarded" } },
  };
  const pairs = { "3 header plugins": ["3 header plugins", "plain", "5%"], "prompt-guard, 20 patterns, 4 KB": ["+ prompt-guard, 20 patterns", "chat, 4 KB prompt", "10%"] };
  const scenario = (name, on) => ({ name, url: gateways[on].url + routes[name].path, body: routes[name].body, headers: routes[name].headers, pid: gateways[on].pid });
  const results = {};
  for (const [label, [feature, baseline]] of Object.entries(pairs)) {
    const rounds = [];
    const cpu = { [baseline]: [], [feature]: [] };
    // Both processes serve both routes before any round counts, so neither meets a route for the first time mid-bench.
    for (const on of ["A", "B"]) for (const name of [baseline, feature]) await load(scenario(name, on).url, { ...scenario(name, on), seconds: 2 });
    for (let r = 0; r < ROUNDS; r++) {
      const [b, f] = r % 2 === 0 ? ["A", "B"] : ["B", "A"];
      const m = await sideBySide([scenario(baseline, b), scenario(feature, f)], { rounds: 1, seconds: SECONDS, warmupSeconds: 0, progress: false });
      rounds.push({ featureOn: f, cost: 1 - m.cpu[baseline][0] / m.cpu[feature][0] });
      cpu[baseline].push(m.cpu[baseline][0]);
      cpu[feature].push(m.cpu[feature][0]);
      if (!JSON_OUT) process.stderr.write(`  ${label}: round ${r + 1}/${ROUNDS} done\n`);
    }
    const ways = bothWays(rounds, (r) => r.featureOn, (r) => r.cost);
    results[label] = {
      cost: ways.mean,
      featureOnA: ways.A,
      featureOnB: ways.B,
      min: ways.min,
      max: ways.max,
      rounds,
      cpuUs: { baseline: Math.round(median(cpu[baseline]) * 10) / 10, feature: Math.round(median(cpu[feature]) * 10) / 10 },
    };
  }
  if (JSON_OUT) console.log(JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, promptBytes: Buffer.byteLength(prompt), patterns: PATTERNS.length, results }, null, 2));
  else {
    console.log(`plugin cost, side by side on one core (${ROUNDS} rounds × ${SECONDS} s, 50 connections each; half the rounds with the plugins on each process)`);
    console.log("| pair | cost (mean of both ways) | plugins on A | plugins on B | rounds min–max | CPU µs/req without, with |\n|---|---:|---:|---:|---:|---:|");
    for (const [label, r] of Object.entries(results)) console.log(`| ${label} | ${pct(r.cost)} | ${pct(r.featureOnA)} | ${pct(r.featureOnB)} | ${pct(r.min)} – ${pct(r.max)} | ${r.cpuUs.baseline}, ${r.cpuUs.feature} |`);
    for (const [label, [, , target]] of Object.entries(pairs)) console.log(`${label} costs ${pct(results[label].cost)} of throughput by CPU per request (target < ${target})`);
  }
} finally {
  stopAll();
}
