// What observability costs on the request path (issue 10), side by side:
// three gateways on the same route, one with metrics and access log off,
// one with both on (the default), one with both on plus tracing at
// sampleRatio 0 (spans created and context propagated, nothing exported).
// Costs are the median over runs of each run's ratio, by the gateway's CPU
// per request and by req/s (see bench/lib.mjs).
//
//   npm run build && node bench/observability.mjs [--quick] [--json]
import { CHAT_BODY as body, cost, freePort, measure, pct, printTable, startGateway, startUpstream, stopAll, summary } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 3 : 9;
const SECONDS = QUICK ? 3 : 4;

const config = (upstream, observability) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: ${observability}
upstreams:
  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: fake }
`;

try {
  const upstream = await startUpstream(1);
  const collector = await freePort(); // nothing listens: at ratio 0 nothing is sent
  const off = await startGateway(config(upstream, "{ metrics: { enabled: false }, logs: { accessLog: false } }"), "off");
  const on = await startGateway(config(upstream, "{ metrics: { enabled: true }, logs: { accessLog: true } }"), "on");
  const traced = await startGateway(config(upstream, `{ metrics: { enabled: true }, logs: { accessLog: true }, tracing: { otlpEndpoint: "http://127.0.0.1:${collector}", sampleRatio: 0 } }`), "traced");
  const scenarios = [
    { name: "metrics and access log off", url: `${off.url}/v1/chat/completions`, pid: off.pid },
    { name: "metrics + access log", url: `${on.url}/v1/chat/completions`, pid: on.pid },
    { name: "… + tracing at sampleRatio 0", url: `${traced.url}/v1/chat/completions`, pid: traced.pid },
  ];
  const measured = await measure(scenarios, { runs: RUNS, seconds: SECONDS, body, progress: !JSON_OUT });
  const result = {
    runs: RUNS,
    seconds: SECONDS,
    scenarios: summary(measured),
    cost: {
      "metrics + access log": cost(measured, "metrics + access log", "metrics and access log off"),
      "tracing at sampleRatio 0": cost(measured, "… + tracing at sampleRatio 0", "metrics + access log"),
    },
  };
  if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
  else {
    printTable(`observability cost (median of ${RUNS} × ${SECONDS} s, 50 connections)`, result.scenarios);
    const m = result.cost["metrics + access log"];
    const t = result.cost["tracing at sampleRatio 0"];
    console.log(`metrics + access log cost ${pct(m.cpu)} of throughput by CPU per request (${pct(m.rps)} by req/s) versus both off (target < 10%)`);
    console.log(`tracing at sampleRatio 0 costs ${pct(t.cpu)} by CPU per request (${pct(t.rps)} by req/s) (target < 3%)`);
  }
} finally {
  stopAll();
}
