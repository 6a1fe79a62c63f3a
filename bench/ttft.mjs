// Time to first token through the gateway's AI path (DESIGN.md 5, issue 9):
// sequential streaming chat requests, direct to the fake upstream, through
// the bare floor proxy (bench/proxy-floor.mjs), and through `aigw serve` (an `openai` upstream on an AI route: the stream is parsed,
// the usage chunk the gateway asked for is dropped, usage is metered), and
// the median and p90 of the time from sending the request to the first body
// byte. Part of `npm run bench`; `--json` prints the figures as JSON.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { firstLine, start, stopAll } from "./lib.mjs";

const N = process.argv.includes("--quick") ? 100 : 1000;
const json = process.argv.includes("--json");
process.on("exit", stopAll);

try {
  const upstream = start(["bench/proxy-upstream.mjs"]);
  const upstreamUrl = `http://127.0.0.1:${(await firstLine(upstream, (v) => typeof v.port === "number")).port}`;
  const dir = mkdtempSync(join(tmpdir(), "aigw-ttft-"));
  writeFileSync(
    join(dir, "gateway.yaml"),
    `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { logs: { level: info, accessLog: true } }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${upstreamUrl}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions, methods: [POST] }, upstream: openai }
pricing:
  - { model: "gpt-*", input: 0.15, output: 0.6 }
`,
  );
  const floor = start(["bench/proxy-floor.mjs", upstreamUrl, "pipe"]);
  const floorUrl = `http://127.0.0.1:${(await firstLine(floor, (v) => typeof v.port === "number")).port}`;
  const gateway = start(["bin/aigw", "serve", "--config", join(dir, "gateway.yaml"), "--no-watch"]);
  const gatewayUrl = (await firstLine(gateway, (v) => v.msg === "aigw listening")).data;

  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Say hello." }] });
  const ttft = async (base) => {
    const t0 = process.hrtime.bigint();
    const res = await request(`${base}/v1/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher: agent });
    let first = 0n;
    for await (const _chunk of res.body) {
      if (first === 0n) first = process.hrtime.bigint();
    }
    return Number(first - t0) / 1e6;
  };
  for (let i = 0; i < 50; i++) {
    await ttft(upstreamUrl);
    await ttft(floorUrl);
    await ttft(gatewayUrl);
  }
  const direct = [];
  const floored = [];
  const through = [];
  for (let i = 0; i < N; i++) {
    direct.push(await ttft(upstreamUrl));
    floored.push(await ttft(floorUrl));
    through.push(await ttft(gatewayUrl));
  }
  const q = (a, p) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];
  const r = (x) => Math.round(x * 1000) / 1000;
  const out = {
    requests: N,
    direct: { p50: r(q(direct, 0.5)), p90: r(q(direct, 0.9)) },
    floor: { p50: r(q(floored, 0.5)), p90: r(q(floored, 0.9)) },
    gateway: { p50: r(q(through, 0.5)), p90: r(q(through, 0.9)) },
  };
  out.addedP50 = r(out.gateway.p50 - out.direct.p50);
  out.pass = out.addedP50 < 1;
  if (json) console.log(JSON.stringify(out));
  else {
    console.log(`time to first token, ${N} sequential streaming requests each (ms)`);
    console.log(`  direct   p50 ${out.direct.p50}  p90 ${out.direct.p90}`);
    console.log(`  floor    p50 ${out.floor.p50}  p90 ${out.floor.p90}   (bare node:http + undici proxy: the cost of one more hop)`);
    console.log(`  gateway  p50 ${out.gateway.p50}  p90 ${out.gateway.p90}`);
    console.log(`added at the median: ${out.addedP50} ms (target < 1 ms) → ${out.pass ? "PASS" : "FAIL"}`);
  }
  await agent.close();
} finally {
  stopAll();
}
