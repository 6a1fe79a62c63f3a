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
// Throughput: autocannon, 50 connections, the same request to both routes of
// a pair, everything interleaved, 7 × 3 s (2 × 2 s with --quick). Each cost
// is the mean of the two ways round of the median over runs of the run's
// ratio to its own baseline, from the
// gateway's CPU time per request (Linux /proc), with the req/s ratio
// alongside. The gateways and the upstream are pinned to a core each when
// `taskset` exists. Why two processes: in one, alternating 4-second blocks of
// two routes make V8 re-optimise the shared pipeline at every switch, and
// that cost lands on whichever route runs second (3 header plugins measured
// 9–11% in one process); and two processes differ by several % on their own,
// so each pair runs both ways round.
//
//   npm run build && node bench/plugins.mjs [--quick] [--json]
import { cost, measure, pct, printTable, startGateway, startUpstream, stopAll, summary } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 2 : 7;
const SECONDS = QUICK ? 2 : 3;

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
  // Two gateway processes on the same config, A and B; each pair is measured both ways (baseline on
  // A and feature on B, then the reverse), and a run's ratio is the mean of the two. In one process,
  // 4-second blocks of alternating routes make V8 re-optimise the shared pipeline at every switch,
  // and that cost lands on whichever route runs second; two processes each keep their JIT state,
  // and swapping their roles cancels what differs between the processes themselves.
  const gateways = { A: await startGateway(config(upstream), "plugins-a"), B: await startGateway(config(upstream), "plugins-b") };
  const origin = { origin: "https://app.example.com" };
  // The same request (headers included) to both routes of a pair: only the route differs.
  const routes = {
    plain: { path: "/plain/v1/chat/completions", body: plainBody, headers: origin },
    "3 header plugins": { path: "/headers/v1/chat/completions", body: plainBody, headers: origin },
    "chat, 4 KB prompt": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "chat" } },
    "+ prompt-guard, 20 patterns": { path: "/v1/chat/completions", body: chatBody, headers: { "x-bench": "guarded" } },
  };
  const pairs = { "3 header plugins": ["3 header plugins", "plain"], "prompt-guard, 20 patterns, 4 KB": ["+ prompt-guard, 20 patterns", "chat, 4 KB prompt"] };
  const scenarios = [];
  for (const [feature, baseline] of Object.values(pairs)) {
    for (const [b, f] of [["A", "B"], ["B", "A"]]) {
      for (const [name, on] of [[baseline, b], [feature, f]]) {
        const r = routes[name];
        scenarios.push({ name: `${name} @${on}`, url: gateways[on].url + r.path, body: r.body, headers: r.headers, pid: gateways[on].pid });
      }
    }
  }
  const series = await measure(scenarios, { runs: RUNS, seconds: SECONDS, progress: !JSON_OUT });
  const table = summary(series);
  const both = (feature, baseline) => {
    const one = cost(series, `${feature} @B`, `${baseline} @A`);
    const other = cost(series, `${feature} @A`, `${baseline} @B`);
    return { cpu: (one.cpu + other.cpu) / 2, rps: (one.rps + other.rps) / 2, eachWay: { featureOnB: one, featureOnA: other } };
  };
  const costs = Object.fromEntries(Object.entries(pairs).map(([label, [feature, baseline]]) => [label, both(feature, baseline)]));
  if (JSON_OUT) console.log(JSON.stringify({ runs: RUNS, seconds: SECONDS, promptBytes: Buffer.byteLength(prompt), patterns: PATTERNS.length, table, costs }, null, 2));
  else {
    printTable(`plugin cost (median of ${RUNS} × ${SECONDS} s, 50 connections; @A/@B: which gateway process)`, table);
    const line = (label, target) => {
      const c = costs[label];
      console.log(`${label} costs ${pct(c.cpu)} of throughput by CPU per request (${pct(c.rps)} by req/s; feature on B ${pct(c.eachWay.featureOnB.cpu)}, on A ${pct(c.eachWay.featureOnA.cpu)}) (target < ${target})`);
    };
    line("3 header plugins", "5%");
    line("prompt-guard, 20 patterns, 4 KB", "10%");
  }
} finally {
  stopAll();
}
