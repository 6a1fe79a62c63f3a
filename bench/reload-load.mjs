// Load generator for bench/reload.mjs, in its own process: N keep-alive
// clients GET a path until told to stop; reports counts and latency.
import { Agent, request } from "undici";

const [url, clients] = [process.argv[2], Number(process.argv[3] ?? 20)];
const agent = new Agent({ connections: clients, keepAliveTimeout: 30_000 });
const latencies = [];
let ok = 0;
let failed = 0;
// 429s: the fixture's `gateway.rateLimits: [global]` (5,000 req/s) answering, not a reload failing.
let limited = 0;
let running = true;
process.on("message", (m) => {
  if (m === "stop") running = false;
});
async function loop() {
  while (running) {
    const t = performance.now();
    try {
      const res = await request(url, { dispatcher: agent });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
      else if (res.statusCode === 429) limited++;
      else failed++;
    } catch {
      failed++;
    }
    latencies.push(performance.now() - t);
  }
}
await Promise.all(Array.from({ length: clients }, loop));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.send({ ok, limited, failed, p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1] ?? 0 });
await agent.close();
