// Shared parts of the benches: child processes pinned to a core when
// `taskset` exists, their first JSON log line, autocannon runs, the CPU time
// a process used, and the side-by-side measurement every feature bench uses
// (scenarios interleaved, each cost the median over runs of the run's ratio
// to its own baseline, by gateway CPU per request and by req/s).
import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = new URL("..", import.meta.url).pathname;
const children = [];

export const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Spawns `node <args>` (pinned to `cpu` when possible); stdout is piped for
 * `firstLine`, or written to the file `stdoutFile` when given (a gateway's
 * access log: read back by this process, the load generator, it would take
 * the load generator's CPU in the gateway's cells only).
 */
export function start(args, cpu, env = {}, stdoutFile) {
  const command = hasTaskset && cpu !== undefined ? "taskset" : process.execPath;
  const full = hasTaskset && cpu !== undefined ? ["-c", String(cpu), process.execPath, ...args] : args;
  const stdout = stdoutFile === undefined ? "pipe" : openSync(stdoutFile, "w");
  const p = spawn(command, full, { cwd: ROOT, stdio: ["ignore", stdout, "inherit"], env: { ...process.env, NODE_ENV: "production", ...env } });
  if (stdoutFile !== undefined) {
    closeSync(stdout);
    p.stdoutFile = stdoutFile;
  }
  children.push(p);
  return p;
}

/** `aigw serve --config file --no-watch` (`bin`) on CPU 0, its stdout to `log`; resolves to `{ url, admin, pid }`. */
export async function serveGateway(file, { env = {}, bin = "bin/aigw", log = `${file}.log` } = {}) {
  const p = start([bin, "serve", "--config", file, "--no-watch"], 0, env, log);
  const line = await firstLine(p, (v) => v.msg === "aigw listening");
  return { url: line.data, admin: line.admin, pid: p.pid };
}

/** Spawns any command (e.g. redis-server), stopped with the others at exit. */
export function startCommand(command, args, cpu) {
  const p = spawn(hasTaskset && cpu !== undefined ? "taskset" : command, hasTaskset && cpu !== undefined ? ["-c", String(cpu), command, ...args] : args, { stdio: "ignore" });
  children.push(p);
  return p;
}

export function stopAll() {
  for (const c of children) {
    if (c.exitCode === null) c.kill("SIGTERM");
    // An access log of a long bench runs to gigabytes.
    if (c.stdoutFile !== undefined) rmSync(c.stdoutFile, { force: true });
  }
}
process.on("exit", stopAll);

/**
 * The first JSON line of a child's stdout (a pipe, or the file `start`
 * wrote it to) that passes `test`; from a file, waiting at most `timeoutMs`.
 */
export function firstLine(p, test, timeoutMs = 15_000) {
  if (p.stdoutFile !== undefined) return firstLineOfFile(p, test, timeoutMs);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.on("line", (line) => {
      try {
        const v = JSON.parse(line);
        if (test(v)) {
          // Stop splitting lines (the access log can be busy); keep draining the pipe.
          rl.removeAllListeners("line");
          rl.close();
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

async function firstLineOfFile(p, test, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (p.exitCode !== null) throw new Error(`child exited (${p.exitCode})`);
    // The last piece may be a line still being written: only whole lines count.
    for (const line of readFileSync(p.stdoutFile, "utf8").split("\n").slice(0, -1)) {
      try {
        const v = JSON.parse(line);
        if (test(v)) return v;
      } catch {
        // not JSON
      }
    }
    await sleep(50);
  }
  throw new Error(`no matching line in ${p.stdoutFile} after ${timeoutMs} ms`);
}

export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** nginx as a keep-alive reverse proxy with one worker on CPU 0, or null when it is not installed. */
export async function startNginx(upstream) {
  try {
    execFileSync("sh", ["-c", "command -v nginx"], { stdio: "ignore" });
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream fake { server ${upstream.replace("http://", "")}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
`,
  );
  const p = startCommand("nginx", ["-c", conf, "-p", dir], 0);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(url + "/health");
      return { url, pid: p.pid };
    } catch {
      await sleep(100);
    }
  }
  return null;
}

/** The fake upstream (bench/proxy-upstream.mjs) on `cpu`; resolves to its URL. */
export async function startUpstream(cpu = 1) {
  const upstream = start(["bench/proxy-upstream.mjs"], cpu);
  return `http://127.0.0.1:${(await firstLine(upstream, (v) => typeof v.port === "number")).port}`;
}

/** Starts `aigw serve` on a config text (core 0, access log to a file); resolves to `{ url, admin, pid }`. */
export async function startGateway(yaml, name = "gateway", env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aigw-bench-"));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return serveGateway(file, { env });
}

/** CPU time (user + system) a process has used, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * One autocannon run of POSTs: `headers` an object, or a function giving
 * each request's headers. Rejects on any non-2xx or error.
 */
export function load(url, { body, headers = {}, connections = 50, seconds = 5 }) {
  const perRequest = typeof headers === "function";
  const fixed = perRequest ? {} : headers;
  const requests = perRequest ? [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headers() } }) }] : undefined;
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: "POST", body, headers: { "content-type": "application/json", ...fixed }, connections, duration: seconds, ...(requests === undefined ? {} : { requests }) },
      (err, res) => {
        if (err) reject(err);
        else if (res.non2xx > 0 || res.errors > 0) reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors`));
        else resolve(res);
      },
    );
  });
}

/**
 * Runs `scenarios` ({ name, url, headers?, pid, body? }) interleaved, `runs`
 * times for `seconds` each, after a 2 s warm-up; returns per-scenario req/s
 * and gateway CPU µs per request, one entry per run.
 */
export async function measure(scenarios, { runs, seconds, body, connections = 50, progress = true }) {
  for (const s of scenarios) await load(s.url, { body: s.body ?? body, headers: s.headers, connections, seconds: 2 });
  const rps = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  const cpu = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  for (let run = 0; run < runs; run++) {
    for (const s of scenarios) {
      const before = cpuMs(s.pid);
      const res = await load(s.url, { body: s.body ?? body, headers: s.headers, connections, seconds });
      rps[s.name].push(res.requests.average);
      cpu[s.name].push(((cpuMs(s.pid) - before) * 1000) / res.requests.total);
    }
    if (progress) process.stderr.write(`  run ${run + 1}/${runs} done\n`);
  }
  return { rps, cpu };
}

/**
 * Like `measure`, but side by side: in each round every scenario is under
 * load at the same time (its own `connections`), its processes sharing one
 * core (start them all on the same CPU), and each one's CPU µs per request
 * is taken over the same seconds. This VM's speed drifts by up to 40% from
 * one minute to the next; run one after the other, two identical gateways
 * measured up to 16% apart, side by side 0.998 in one calibration (rounds
 * within ±4%) but 1.117 in another: a process's place matters too, so swap
 * which process carries what between rounds where the processes allow it. Req/s here is each one's share of the core, not its
 * capacity; compare CPU per request (`cost`). A discarded warm-up round
 * first (`warmupSeconds`, 0 for none); the start order alternates between rounds.
 */
export async function sideBySide(scenarios, { rounds, seconds, body, headers, connections = 50, warmupSeconds = 3, progress = true }) {
  const round = async (order, s) => {
    const before = order.map((x) => cpuMs(x.pid));
    const results = await Promise.all(order.map((x) => load(x.url, { body: x.body ?? body, headers: x.headers ?? headers, connections, seconds: s })));
    return order.map((x, i) => ({ name: x.name, rps: results[i].requests.total / (s || 1), us: ((cpuMs(x.pid) - before[i]) * 1000) / results[i].requests.total }));
  };
  if (warmupSeconds > 0) await round(scenarios, warmupSeconds);
  const rps = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  const cpu = Object.fromEntries(scenarios.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const x of await round(order, seconds)) {
      rps[x.name].push(x.rps);
      cpu[x.name].push(x.us);
    }
    if (progress) process.stderr.write(`  side-by-side round ${r + 1}/${rounds} done\n`);
  }
  return { rps, cpu };
}

/**
 * Cost of `feature` over `baseline`: the median over runs of each run's
 * ratio, by CPU per request (1 - base/with: the throughput a CPU-bound
 * gateway loses) and by req/s.
 */
export function cost({ rps, cpu }, feature, baseline) {
  const perRun = (series, f) => median(series[feature].map((v, i) => f(v, series[baseline][i])));
  return { cpu: perRun(cpu, (w, b) => 1 - b / w), rps: perRun(rps, (w, b) => 1 - w / b) };
}

/** Median req/s and CPU µs/request per scenario. */
export function summary({ rps, cpu }) {
  return Object.fromEntries(Object.keys(rps).map((n) => [n, { rps: Math.round(median(rps[n])), cpuUs: Math.round(median(cpu[n]) * 10) / 10 }]));
}

/**
 * Rounds run both ways round (`wayOf(round)` is "A" or "B"): the mean of the
 * two ways' medians of `valueOf(round)` (what differs between the processes
 * cancels), each way, and the rounds' range.
 */
export function bothWays(rounds, wayOf, valueOf) {
  const way = (on) => median(rounds.filter((r) => wayOf(r) === on).map(valueOf));
  const values = rounds.map(valueOf);
  return { mean: (way("A") + way("B")) / 2, A: way("A"), B: way("B"), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * How long to wait after a gateway's last request for it to be at rest: the
 * idle trim's quiet period (AIGW_IDLE_GC_MS as the gateway sees it, a minute
 * by default), two checks, and a margin (src/server/idle-trim.ts). Two: the
 * quiet is first seen at the check after the last request, and a check that
 * fires a little early sees a hair less than the quiet period and leaves the
 * trim to the next one.
 */
export async function restAfterLoadMs(env = process.env) {
  const { IDLE_CHECK_MS, idleTrimMs } = await import("../dist/server/idle-trim.js");
  const idle = idleTrimMs(env);
  return idle > 0 ? idle + 2 * Math.min(idle, IDLE_CHECK_MS) + 3000 : 15_000;
}

export const pct = (v) => `${(v * 100).toFixed(1)}%`;

/** Prints the scenario table. */
export function printTable(title, table) {
  console.log(title);
  console.log(`  ${"scenario".padEnd(32)} ${"req/s".padStart(7)} ${"gateway CPU µs/req".padStart(19)}`);
  for (const [name, v] of Object.entries(table)) console.log(`  ${name.padEnd(32)} ${String(v.rps).padStart(7)} ${v.cpuUs.toFixed(1).padStart(19)}`);
}

/** The request the benches send: a small OpenAI-style chat body. */
export const CHAT_BODY = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello in five words, please." }] });

/** The value at quantile `q` (0..1, nearest rank) of an ascending array. */
export function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Latencies (ms) -> the figures every latency cell reports. */
function percentiles(latencies, elapsedS, failures) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p) => quantile(sorted, p / 100);
  return { rps: latencies.length / elapsedS, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1], failures, count: latencies.length };
}

/**
 * Sends `rate` requests a second for `seconds` over `pool` on a 1 ms
 * schedule (whatever is due leaves, answered or not), pushing each
 * successful response time (ms, send to end of body) to `latencies`;
 * resolves with the failure count and the elapsed seconds.
 */
async function openLoopOn(pool, path, { rate, seconds, body, headers = {} }, latencies) {
  let failures = 0;
  let sent = 0;
  const total = Math.round(rate * seconds);
  const inflight = new Set();
  const one = async () => {
    const started = performance.now();
    try {
      const res = await pool.request({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - started);
      else failures++;
    } catch {
      failures++;
    }
  };
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      while (sent < due) {
        sent++;
        const p = one();
        inflight.add(p);
        p.finally(() => inflight.delete(p));
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inflight);
  return { failures, elapsedS: (performance.now() - t0) / 1000 };
}

/**
 * Open-loop load at a fixed rate: requests leave on schedule (a 1 ms timer
 * sends whatever is due), whether or not earlier ones have answered, over
 * an undici Pool with enough connections; so latency is what a request
 * meets at that rate, not the queue a closed loop builds (autocannon's
 * `overallRate` sends each second's quota back to back). Resolves with
 * p50/p90/p99/max of the latencies (ms, from send to the end of the body),
 * the achieved rate and the failures.
 */
export async function openLoop(url, { rate, seconds, body, headers = {} }) {
  const { Pool } = await import("undici");
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 256, pipelining: 1 });
  const latencies = [];
  const { failures, elapsedS } = await openLoopOn(pool, target.pathname, { rate, seconds, body, headers }, latencies);
  await pool.close();
  return percentiles(latencies, elapsedS, failures);
}

/**
 * The same open loop over several targets (`{ name: url }`) in short
 * interleaved slices: `slices` rounds, in each one `sliceSeconds` of load
 * on every target in turn (the order rotating from round to round), after
 * `warmupSeconds` on each. Each target gets its percentiles over all of
 * its responses (`pooled`) and per round (`rounds`). On a VM whose speed
 * drifts from one second to the next, five-second cells one after the
 * other differ by whatever the host did in each; in slices a second long
 * the targets meet the same spells, a burst spoils a round rather than a
 * target's figure, and no target sits idle long enough for its keep-alive
 * connections to close or its idle trim to run. Pools (one per target)
 * stay open across slices.
 */
export async function interleavedOpenLoop(urls, { rate, slices, sliceSeconds = 1, warmupSeconds = 2, body, headers = {} }) {
  const { Pool } = await import("undici");
  const names = Object.keys(urls);
  const state = Object.fromEntries(
    names.map((n) => {
      const target = new URL(urls[n]);
      return [n, { pool: new Pool(target.origin, { connections: 256, pipelining: 1 }), path: target.pathname, rounds: [] }];
    }),
  );
  for (const n of names) await openLoopOn(state[n].pool, state[n].path, { rate, seconds: warmupSeconds, body, headers }, []);
  for (let round = 0; round < slices; round++) {
    for (let i = 0; i < names.length; i++) {
      const t = state[names[(round + i) % names.length]];
      const latencies = [];
      const r = await openLoopOn(t.pool, t.path, { rate, seconds: sliceSeconds, body, headers }, latencies);
      t.rounds.push({ latencies, ...r });
    }
  }
  await Promise.all(names.map((n) => state[n].pool.close()));
  const sum = (list, key) => list.reduce((a, r) => a + r[key], 0);
  return Object.fromEntries(
    names.map((n) => {
      const rounds = state[n].rounds;
      return [n, { pooled: percentiles(rounds.flatMap((r) => r.latencies), sum(rounds, "elapsedS"), sum(rounds, "failures")), rounds: rounds.map((r) => percentiles(r.latencies, r.elapsedS, r.failures)) }];
    }),
  );
}
