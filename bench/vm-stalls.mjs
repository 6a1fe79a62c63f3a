// What this machine itself does to a request's tail, with no proxy in it.
//
// 1. Gaps: one spinning process per CPU reads the clock in a tight loop and
//    counts the gaps between two reads (nothing else of ours runs
//    meanwhile, so a gap is the CPU taken away: the host not running the
//    virtual CPU, an interrupt, a kernel thread). First each CPU alone,
//    then all at once (a VM with a CPU quota below its CPU count is
//    throttled then).
// 2. Echo round trips: a TCP echo server (a child process) and this
//    process, which sends 64 bytes at a fixed rate (500/s by default, one
//    message in flight at a time at most) over one loopback connection and
//    times each echo. Three ways: both on CPU 1; the server on CPU 0 (what
//    a hop between two CPUs pays here: waking an idle virtual CPU goes
//    through the host); and the server on CPU 1 behind a byte relay on
//    CPU 0 (bench/proxy-relay.mjs: each connection piped to the server, no
//    parsing): the latency benches' layout, where the proxies sit on CPU 0
//    between a load generator and an upstream on CPU 1, so a proxied
//    request crosses CPUs twice and a direct one not at all. What the relay
//    adds over the first way is the least any proxy adds on this machine.
//
//   node bench/vm-stalls.mjs [--seconds 10] [--rate 500]    (--seconds: per gap measurement, and the echo rounds)
import { execFileSync } from "node:child_process";
import { connect, createServer } from "node:net";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { firstLine, hasTaskset, median, quantile, start, stopAll } from "./lib.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const SECONDS = Number(arg("seconds", "10"));
const RATE = Number(arg("rate", "500"));
const MESSAGE = Buffer.alloc(64, 0x61);
const THRESHOLDS = [0.5, 1, 2, 5, 20];

if (process.argv[2] === "--spin") {
  // The child: spin for `seconds`, then print the gaps over 0.1 ms as JSON.
  const end = performance.now() + Number(process.argv[3]) * 1000;
  const gaps = [];
  let last = performance.now();
  for (;;) {
    const now = performance.now();
    if (now - last > 0.1) gaps.push(now - last);
    last = now;
    if (now > end) break;
  }
  process.stdout.write(JSON.stringify(gaps) + "\n");
} else if (process.argv[2] === "--echo") {
  // The child: echo every byte back; print the port.
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (d) => socket.write(d));
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
} else {
  try {
    await main();
  } finally {
    stopAll();
  }
}

/** A child process: this file in `mode` (`--spin`, `--echo`) or another bench script, on `cpu`. */
function child(mode, cpu, extra = []) {
  const script = mode.startsWith("--") ? [new URL(import.meta.url).pathname, mode] : [new URL(mode, import.meta.url).pathname];
  return start([...script, ...extra], hasTaskset ? cpu : undefined);
}

/** The gaps a spinner on `cpu` saw over SECONDS. */
function spin(cpu) {
  return firstLine(child("--spin", cpu, [String(SECONDS)]), Array.isArray);
}

function describe(label, gaps) {
  const lost = gaps.reduce((a, g) => a + g, 0);
  const counts = THRESHOLDS.map((t) => `>${t} ms ${(gaps.filter((g) => g > t).length / SECONDS).toFixed(1)}/s`).join(", ");
  const top = [...gaps].sort((a, b) => b - a).slice(0, 5).map((g) => g.toFixed(1)).join(", ");
  console.log(`${label}: ${counts}; time lost ${((100 * lost) / (SECONDS * 1000)).toFixed(2)}%; longest ${top} ms`);
}

/** A child in `mode` on `cpu` that prints its port; resolves with it and the port. */
async function listening(mode, cpu, extra = []) {
  const p = child(mode, cpu, extra);
  const { port } = await firstLine(p, (v) => typeof v.port === "number");
  return { p, port };
}

/** A loopback connection to `port` that times round trips of MESSAGE, one at a time. */
async function pinger(port) {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once("connect", resolve));
  let sentAt = 0;
  let received = 0;
  let done = null;
  socket.on("data", (d) => {
    received += d.length;
    if (received >= MESSAGE.length && done !== null) {
      received -= MESSAGE.length;
      const resolve = done;
      done = null;
      resolve(performance.now() - sentAt);
    }
  });
  return {
    /** `seconds` of messages at RATE (one skipped while the last is out); resolves with the round-trip times. */
    async run(seconds) {
      const times = [];
      const t0 = performance.now();
      for (let i = 0; i < RATE * seconds; i++) {
        const due = t0 + (i * 1000) / RATE;
        while (performance.now() < due - 1) await sleep(1);
        if (done !== null) continue;
        sentAt = performance.now();
        new Promise((resolve) => (done = resolve)).then((ms) => times.push(ms));
        socket.write(MESSAGE);
      }
      while (done !== null) await sleep(1);
      return times;
    },
    close: () => socket.destroy(),
  };
}

/** The three layouts' round trips in interleaved 1 s slices (order rotating), after 1 s of warm-up each. */
async function echoes(rounds) {
  const near = await listening("--echo", 1);
  const far = await listening("--echo", 0);
  const relay = await listening("./proxy-relay.mjs", 0, [`http://127.0.0.1:${near.port}`]);
  const layouts = { "same CPU": await pinger(near.port), "other CPU": await pinger(far.port), "relay on CPU 0": await pinger(relay.port) };
  const names = Object.keys(layouts);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (const n of names) await layouts[n].run(1);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const n = names[(round + i) % names.length];
        out[n].push(await layouts[n].run(1));
      }
    }
    return out;
  } finally {
    for (const l of Object.values(layouts)) l.close();
    for (const c of [near, far, relay]) c.p.kill();
  }
}

function describeTimes(label, rounds, base) {
  const sorted = (times) => Float64Array.from(times).sort();
  const p99 = (times) => quantile(sorted(times), 0.99);
  const all = sorted(rounds.flat());
  const added = base === undefined ? "" : `; p99 added over the same CPU: median of rounds ${median(rounds.map((r, i) => p99(r) - p99(base[i]))).toFixed(3)} ms, pooled ${(quantile(all, 0.99) - p99(base.flat())).toFixed(3)} ms`;
  console.log(`  ${label.padEnd(15)} ${all.length} round trips, p50 ${quantile(all, 0.5).toFixed(3)}, p99 ${quantile(all, 0.99).toFixed(3)}, p99.9 ${quantile(all, 0.999).toFixed(3)} ms${added}`);
}

async function main() {
  const cpus = availableParallelism();
  console.log(`${cpus} CPUs, ${SECONDS} s per measurement${hasTaskset ? "" : " (no taskset: the spinners are not pinned)"}`);
  for (let cpu = 0; cpu < cpus; cpu++) describe(`CPU ${cpu} alone`, await spin(cpu));
  const all = await Promise.all(Array.from({ length: cpus }, (_, cpu) => spin(cpu)));
  all.forEach((gaps, cpu) => describe(`CPU ${cpu}, all ${cpus} busy`, gaps));
  if (cpus < 2 || !hasTaskset) return;
  execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  console.log(`echo round trips at ${RATE}/s in ${SECONDS} interleaved 1 s slices per layout, this process on CPU 1:`);
  const r = await echoes(SECONDS);
  describeTimes("same CPU", r["same CPU"]);
  describeTimes("other CPU", r["other CPU"], r["same CPU"]);
  describeTimes("relay on CPU 0", r["relay on CPU 0"], r["same CPU"]);
}
