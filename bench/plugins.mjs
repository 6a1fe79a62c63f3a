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
import { cost, measure, pct, printTable, startGateway, startUpstream, stopAll, summary } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 3 : 9;
const SECONDS = QUICK ? 3 : 4;

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
  const gw = await startGateway(config(upstream), "plugins");
  const origin = { origin: "https://app.example.com" };
  // The same request (headers included) to both routes of a pair: only the route differs.
  const scenarios = [
    { name: "plain", url: `${gw.url}/plain/v1/chat/completions`, body: plainBody, headers: origin, pid: gw.pid },
    { name: "3 header plugins", url: `${gw.url}/headers/v1/chat/completions`, body: plainBody, headers: origin, pid: gw.pid },
    { name: "chat, 4 KB prompt", url: `${gw.url}/v1/chat/completions`, body: chatBody, headers: { "x-bench": "chat" }, pid: gw.pid },
    { name: "+ prompt-guard, 20 patterns", url: `${gw.url}/v1/chat/completions`, body: chatBody, headers: { "x-bench": "guarded" }, pid: gw.pid },
  ];
  const series = await measure(scenarios, { runs: RUNS, seconds: SECONDS, progress: !JSON_OUT });
  const table = summary(series);
  const costs = { "3 header plugins": cost(series, "3 header plugins", "plain"), "prompt-guard, 20 patterns, 4 KB": cost(series, "+ prompt-guard, 20 patterns", "chat, 4 KB prompt") };
  if (JSON_OUT) console.log(JSON.stringify({ runs: RUNS, seconds: SECONDS, promptBytes: Buffer.byteLength(prompt), patterns: PATTERNS.length, table, costs }, null, 2));
  else {
    printTable(`plugin cost (median of ${RUNS} × ${SECONDS} s, 50 connections)`, table);
    const line = (label, target) => console.log(`${label} costs ${pct(costs[label].cpu)} of throughput by CPU per request (${pct(costs[label].rps)} by req/s) (target < ${target})`);
    line("3 header plugins", "5%");
    line("prompt-guard, 20 patterns, 4 KB", "10%");
  }
} finally {
  stopAll();
}
