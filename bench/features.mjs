// What each feature costs on the request path, measured side by side in one
// gateway process (issues 6, 7): a plain route, API-key auth, JWT (RS256,
// cached key), an in-memory token bucket per consumer, and a Redis token
// bucket (a second gateway with `state.redis`, against a real redis-server
// on a free port when one is installed). Throughput: autocannon, 50
// connections, the same request to every route, the routes interleaved,
// 9 × 4 s; each cost is the median over runs of the run's ratio to its own
// baseline, from the gateway's CPU time per request and from req/s. JWT is measured twice: one token reused (what clients
// do; verified once, then served from the verified-token cache) and a fresh
// token per request (every request pays the RS256 signature check). Redis:
// p50 of sequential requests with and without the Redis limit, next to
// Redis's own round trip (PING).
//
//   npm run build && node bench/features.mjs [--quick] [--json]
import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { SignJWT, importPKCS8 } from "jose";
import { Pool } from "undici";

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
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
};
process.on("exit", stopAll);

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

const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello in five words, please." }] });
function load(url, headers, connections, seconds) {
  const perRequest = typeof headers === "function";
  const fixed = perRequest ? {} : headers;
  const requests = perRequest ? [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headers() } }) }] : undefined;
  return new Promise((resolve, reject) => {
    autocannon({ url, method: "POST", body, headers: { "content-type": "application/json", ...fixed }, connections, duration: seconds, ...(requests === undefined ? {} : { requests }) }, (err, res) => {
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
  const upstream = start(["bench/proxy-upstream.mjs"], 1);
  const upstreamUrl = `http://127.0.0.1:${(await firstLine(upstream, (v) => typeof v.port === "number")).port}`;
  const dir = mkdtempSync(join(tmpdir(), "aigw-features-"));
  writeFileSync(join(dir, "memory.yaml"), config(upstreamUrl));
  const gw = start(["bin/aigw", "serve", "--config", join(dir, "memory.yaml"), "--no-watch"], 0);
  const url = (await firstLine(gw, (v) => v.msg === "aigw listening")).data;

  let redisUrl;
  let redisGw;
  let redisPid;
  let hasRedis = true;
  try {
    execFileSync("redis-server", ["--version"]);
  } catch {
    hasRedis = false;
  }
  if (hasRedis) {
    const port = await freePort();
    const redis = spawn(taskset ? "taskset" : "redis-server", taskset ? ["-c", "1", "redis-server", "--port", String(port), "--save", "", "--appendonly", "no"] : ["--port", String(port), "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    children.push(redis);
    redisUrl = `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, "redis.yaml"), config(upstreamUrl, redisUrl));
    const g2 = start(["bin/aigw", "serve", "--config", join(dir, "redis.yaml"), "--no-watch"], 0);
    redisGw = (await firstLine(g2, (v) => v.msg === "aigw listening")).data;
    redisPid = g2.pid;
  }

  const scenarios = [
    // The same request everywhere (credentials included): only the route differs.
    ["plain", `${url}/plain/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, gw.pid],
    ["apiKey", `${url}/apikey/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, gw.pid],
    ["jwt RS256", `${url}/jwt/v1/chat/completions`, { authorization: `Bearer ${jwt}` }, gw.pid],
    ["jwt RS256, fresh tokens", `${url}/jwt/v1/chat/completions`, freshHeader, gw.pid],
    ["apiKey + memory limit", `${url}/limited/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, gw.pid],
    ...(redisGw === undefined ? [] : [["apiKey + Redis limit", `${redisGw}/limited/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, redisPid]]),
  ];
  for (const [, u, h] of scenarios) await load(u, h, 50, 2);
  const rps = Object.fromEntries(scenarios.map(([n]) => [n, []]));
  const cpu = Object.fromEntries(scenarios.map(([n]) => [n, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, u, h, pid] of scenarios) {
      const before = cpuMs(pid);
      const res = await load(u, h, 50, SECONDS);
      rps[name].push(res.requests.average);
      cpu[name].push(((cpuMs(pid) - before) * 1000) / res.requests.total);
    }
    if (!JSON_OUT) process.stderr.write(`  run ${run + 1}/${RUNS} done\n`);
  }
  // Cost = the share of throughput a CPU-bound gateway loses: 1 - base/with,
  // from the gateway's CPU time per request (immune to the client and the
  // neighbours competing for the machine), with raw req/s alongside.
  const result = { runs: RUNS, seconds: SECONDS, throughput: {}, cpuUsPerRequest: {}, cost: {}, throughputCost: {} };
  for (const [name] of scenarios) {
    result.throughput[name] = Math.round(median(rps[name]));
    result.cpuUsPerRequest[name] = Math.round(median(cpu[name]) * 10) / 10;
  }
  const costs = { apiKey: ["apiKey", "plain"], "jwt RS256": ["jwt RS256", "plain"], "jwt RS256, fresh tokens": ["jwt RS256, fresh tokens", "plain"], "memory limit (over apiKey)": ["apiKey + memory limit", "apiKey"] };
  // Per run against the same run's baseline (seconds apart), then the
  // median over runs: slow drift of the machine cancels out.
  const perRun = (series, f) => median(series[f[0]].map((v, i) => f[1](v, series[f[2]][i])));
  for (const [label, [feature, baseline]] of Object.entries(costs)) {
    result.cost[label] = perRun(cpu, [feature, (w, b) => 1 - b / w, baseline]);
    result.throughputCost[label] = perRun(rps, [feature, (w, b) => 1 - w / b, baseline]);
  }
  if (redisGw !== undefined) {
    // One connection, one request at a time: the added latency of one Redis
    // check, next to a Redis round trip (PING) measured the same way.
    const lat = { without: [], with: [], ping: [], script: [] };
    const { RedisStore } = await import("../dist/ratelimit/redis-store.js");
    const n = QUICK ? 1000 : 3000;
    const redis = new Redis(redisUrl);
    for (let run = 0; run < RUNS; run++) {
      lat.without.push(await sequentialP50(`${redisGw}/apikey/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, n));
      lat.with.push(await sequentialP50(`${redisGw}/limited/v1/chat/completions`, { authorization: `Bearer ${KEY}` }, n));
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
    const pct = (v) => `${(v * 100).toFixed(1)}%`;
    console.log(`feature cost (median of ${RUNS} × ${SECONDS} s, 50 connections)`);
    console.log(`  ${"scenario".padEnd(24)} ${"req/s".padStart(7)} ${"gateway CPU µs/req".padStart(19)}`);
    for (const [name] of scenarios) console.log(`  ${name.padEnd(24)} ${String(result.throughput[name]).padStart(7)} ${result.cpuUsPerRequest[name].toFixed(1).padStart(19)}`);
    const line = (label, text, target) => console.log(`${text} costs ${pct(result.cost[label])} of throughput by CPU per request (${pct(result.throughputCost[label])} by req/s)${target}`);
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
