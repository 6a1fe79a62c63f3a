// What each feature costs on the request path, measured side by side in one
// gateway process (issues 6, 7): a plain route, API-key auth, JWT (RS256,
// cached key), an in-memory token bucket per consumer, and a Redis token
// bucket (a second gateway with `state.redis`, against a real redis-server
// on a free port when one is installed). Throughput: autocannon, 50
// connections, the same request to every route, the routes interleaved,
// 9 × 4 s; each cost is the median over runs of the run's ratio to its own
// baseline, from the gateway's CPU time per request and from req/s. JWT is
// measured twice: one token reused (what clients do; verified once, then
// served from the verified-token cache) and a fresh token per request (every
// request pays the RS256 signature check). Redis: p50 of sequential requests
// with and without the Redis limit, next to Redis's own round trip.
//
//   npm run build && node bench/features.mjs [--quick] [--json]
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { Redis } from "ioredis";
import { SignJWT, importPKCS8 } from "jose";
import { Pool } from "undici";
import { CHAT_BODY as body, cost, freePort, median, measure, pct, printTable, startCommand, startGateway, startUpstream, stopAll, summary } from "./lib.mjs";

const QUICK = process.argv.includes("--quick");
const JSON_OUT = process.argv.includes("--json");
const RUNS = QUICK ? 3 : 9;
const SECONDS = QUICK ? 3 : 4;

const KEY = "sk-bench-key-0000000000000000001";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwt = await new SignJWT({ scope: "chat" })
  .setProtectedHeader({ alg: "RS256" })
  .setSubject("team-a")
  .setIssuer("https://issuer.bench/")
  .setAudience("aigw")
  .setExpirationTime("2h")
  .sign(await importPKCS8(privateKey.export({ type: "pkcs8", format: "pem" }), "RS256"));
// More distinct tokens than the verified-token cache holds (10,000), used in
// turn: every request of the "fresh token" scenario is verified for real.
const FRESH = 11_000;
const fresh = (() => {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const head = b64({ alg: "RS256" });
  const exp = Math.floor(Date.now() / 1000) + 7200;
  const out = [];
  for (let i = 0; i < FRESH; i++) {
    const data = `${head}.${b64({ sub: "team-a", scope: "chat", iss: "https://issuer.bench/", aud: "aigw", exp, jti: String(i) })}`;
    out.push(`${data}.${sign("RSA-SHA256", Buffer.from(data), privateKey).toString("base64url")}`);
  }
  return out;
})();
let freshNext = 0;
const freshHeader = () => ({ authorization: `Bearer ${fresh[freshNext++ % FRESH]}` });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString().trim().split("\n").join("\n        ");

function config(upstream, redisUrl) {
  return `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
${redisUrl === undefined ? "" : `state:\n  redis: { url: "${redisUrl}", keyPrefix: "bench:" }`}
observability: { logs: { level: info, accessLog: true } }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k, consumer: team-a, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }]
  - name: corp
    type: jwt
    issuer: "https://issuer.bench/"
    audience: aigw
    algorithms: [RS256]
    publicKey: |
        ${pem}
consumers:
  - { name: team-a }
rateLimits:
  - { name: bucket, algorithm: token_bucket, limit: 100000000, window: 1s, key: consumer }
upstreams:
  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }
routes:
  - { name: plain, match: { path: /plain/v1/chat/completions }, upstream: fake, rewrite: { stripPrefix: /plain } }
  - { name: apikey, match: { path: /apikey/v1/chat/completions }, auth: [keys], upstream: fake, rewrite: { stripPrefix: /apikey } }
  - { name: jwt, match: { path: /jwt/v1/chat/completions }, auth: [corp], upstream: fake, rewrite: { stripPrefix: /jwt } }
  - { name: limited, match: { path: /limited/v1/chat/completions }, auth: [keys], rateLimits: [bucket], upstream: fake, rewrite: { stripPrefix: /limited } }
`;
}

/** p50 in ms of `n` requests sent one after another on one kept-alive connection. */
async function sequentialP50(url, headers, n) {
  const pool = new Pool(new URL(url).origin, { connections: 1 });
  const path = new URL(url).pathname;
  const times = [];
  try {
    for (let i = 0; i < n + 100; i++) {
      const t0 = process.hrtime.bigint();
      const res = await pool.request({ method: "POST", path, body, headers: { "content-type": "application/json", ...headers } });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
      if (i >= 100) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    await pool.close();
  }
  return median(times);
}

try {
  const upstreamUrl = await startUpstream(1);
  const memory = await startGateway(config(upstreamUrl), "memory");
  const url = memory.url;

  let redisUrl;
  let redisGw;
  let hasRedis = true;
  try {
    execFileSync("redis-server", ["--version"]);
  } catch {
    hasRedis = false;
  }
  if (hasRedis) {
    const port = await freePort();
    startCommand("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], 1);
    redisUrl = `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 300));
    redisGw = await startGateway(config(upstreamUrl, redisUrl), "redis");
  }

  const key = { authorization: `Bearer ${KEY}` };
  // The same request everywhere (credentials included): only the route differs.
  const scenarios = [
    { name: "plain", url: `${url}/plain/v1/chat/completions`, headers: key, pid: memory.pid },
    { name: "apiKey", url: `${url}/apikey/v1/chat/completions`, headers: key, pid: memory.pid },
    { name: "jwt RS256", url: `${url}/jwt/v1/chat/completions`, headers: { authorization: `Bearer ${jwt}` }, pid: memory.pid },
    { name: "jwt RS256, fresh tokens", url: `${url}/jwt/v1/chat/completions`, headers: freshHeader, pid: memory.pid },
    { name: "apiKey + memory limit", url: `${url}/limited/v1/chat/completions`, headers: key, pid: memory.pid },
    ...(redisGw === undefined ? [] : [{ name: "apiKey + Redis limit", url: `${redisGw.url}/limited/v1/chat/completions`, headers: key, pid: redisGw.pid }]),
  ];
  const measured = await measure(scenarios, { runs: RUNS, seconds: SECONDS, body, progress: !JSON_OUT });
  const result = { runs: RUNS, seconds: SECONDS, scenarios: summary(measured), cost: {} };
  const costs = { apiKey: ["apiKey", "plain"], "jwt RS256": ["jwt RS256", "plain"], "jwt RS256, fresh tokens": ["jwt RS256, fresh tokens", "plain"], "memory limit (over apiKey)": ["apiKey + memory limit", "apiKey"] };
  for (const [label, [feature, baseline]] of Object.entries(costs)) result.cost[label] = cost(measured, feature, baseline);
  if (redisGw !== undefined) {
    // One connection, one request at a time: the added latency of one Redis
    // check, next to a Redis round trip measured the same way.
    const lat = { without: [], with: [], ping: [], script: [] };
    const { RedisStore } = await import("../dist/ratelimit/redis-store.js");
    const n = QUICK ? 1000 : 3000;
    const redis = new Redis(redisUrl);
    for (let run = 0; run < RUNS; run++) {
      lat.without.push(await sequentialP50(`${redisGw.url}/apikey/v1/chat/completions`, key, n));
      lat.with.push(await sequentialP50(`${redisGw.url}/limited/v1/chat/completions`, key, n));
      const ping = [];
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await redis.ping();
        ping.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      lat.ping.push(median(ping));
      // The limiter's own call: one EVALSHA of the check script.
      const store = new RedisStore(redis, "bench-direct:");
      const script = [];
      const check = { key: "direct", spec: { algorithm: "token_bucket", limit: 100000000, windowMs: 1000 }, admit: 1, cost: 1, shadow: false };
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await store.check([check]);
        script.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      lat.script.push(median(script));
    }
    redis.disconnect();
    result.redis = { p50WithoutMs: median(lat.without), p50WithMs: median(lat.with), addedMs: median(lat.with) - median(lat.without), pingP50Ms: median(lat.ping), scriptP50Ms: median(lat.script) };
  }
  if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
  else {
    printTable(`feature cost (median of ${RUNS} × ${SECONDS} s, 50 connections)`, result.scenarios);
    const line = (label, text, target) => console.log(`${text} costs ${pct(result.cost[label].cpu)} of throughput by CPU per request (${pct(result.cost[label].rps)} by req/s)${target}`);
    line("apiKey", "API-key auth", " (target < 5%)");
    line("jwt RS256", "JWT RS256 (cached key, token reused)", " (target < 15%)");
    line("jwt RS256, fresh tokens", "JWT RS256, a fresh token every request", " (every signature verified)");
    line("memory limit (over apiKey)", "The in-memory token bucket (over API-key auth alone)", " (target < 5%)");
    if (result.redis) {
      const r = result.redis;
      console.log(`Redis limit, one request at a time: p50 ${r.p50WithoutMs.toFixed(3)} → ${r.p50WithMs.toFixed(3)} ms, +${r.addedMs.toFixed(3)} ms; one check-script round trip from Node is ${r.scriptP50Ms.toFixed(3)} ms (PING ${r.pingP50Ms.toFixed(3)} ms)`);
    }
  }
} finally {
  stopAll();
}
