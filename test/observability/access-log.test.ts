import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccessLog, accessLogLine, millis } from "../../src/observability/access-log.js";
import { createLogger } from "../../src/observability/logger.js";
import { LineBatch } from "../../src/observability/line-batch.js";
import type { RequestContext } from "../../src/pipeline/types.js";
import type { Clock } from "../../src/deps.js";

/** A logger like `aigw serve`'s (optionally with a worker's bindings) writing into an array. */
function capture(base?: Record<string, unknown>, level = "info") {
  const lines: string[] = [];
  const root = createLogger({ level, destination: { write: (s: string) => void lines.push(s) }, ...(base === undefined ? {} : { base }) });
  return { lines, logger: root.child({}, { msgPrefix: "", redact: [] }) };
}

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("/v1/chat/completions", 'a"b\\c\n\u2028', "\u0000\u001f", "😀"));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });

const contexts = fc.record({
  id: text,
  method: fc.constantFrom("GET", "POST", "DELETE"),
  host: text,
  path: text,
  route: maybe(text),
  upstream: maybe(text),
  consumer: maybe(text),
  subject: maybe(text),
  model: fc.option(text, { nil: undefined }),
  target: maybe(text),
  status: fc.integer({ min: 0, max: 599 }),
  startedAt: finite,
  upstreamMs: fc.oneof(finite, fc.constant(Number.NaN)),
  bytesIn: fc.nat(),
  bytesOut: fc.nat(),
  clientIp: text,
  errorCode: maybe(text),
  usage: maybe(fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() })),
  costUsd: maybe(finite),
  cache: maybe(fc.constantFrom("hit" as const, "miss" as const)),
  traceId: maybe(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 })),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toContext(v: any): RequestContext {
  return {
    id: v.id,
    req: { method: v.method },
    host: v.host,
    path: v.path,
    route: v.route === null ? null : { compiled: { name: v.route } },
    upstream: v.upstream,
    consumer: v.consumer === null ? null : { name: v.consumer },
    identity: v.subject === null ? null : { subject: v.subject },
    model: v.model,
    target: v.target,
    status: v.status,
    startedAt: v.startedAt,
    upstreamMs: v.upstreamMs,
    bytesIn: v.bytesIn,
    bytesOut: v.bytesOut,
    clientIp: v.clientIp,
    errorCode: v.errorCode,
    usage: v.usage,
    costUsd: v.costUsd,
    cache: v.cache,
    trace: v.traceId === null ? null : { traceId: v.traceId },
  } as unknown as RequestContext;
}

describe("AccessLog", () => {
  it("writes what pino writes for accessLogLine, for any field values (property)", () => {
    const clock: Clock = { now: () => 1_795_000_000_123, monotonic: () => 5_000.25 };
    fc.assert(
      fc.property(contexts, fc.boolean(), (v, worker) => {
        const base = worker ? { worker: 2, pid: 4242 } : undefined;
        const fast = capture(base);
        const slow = capture(base);
        const ctx = toContext(v);
        new AccessLog(fast.logger, clock).write(ctx);
        slow.logger.info(accessLogLine(ctx, clock));
        expect(fast.lines).toHaveLength(1);
        expect(fast.lines[0]!.endsWith("}\n")).toBe(true);
        const mine = JSON.parse(fast.lines[0]!) as Record<string, unknown>;
        const theirs = JSON.parse(slow.lines[0]!) as Record<string, unknown>;
        // pino stamps its own Date.now(); the writer uses the gateway's clock.
        expect(mine.time).toBe(new Date(clock.now()).toISOString());
        delete mine.time;
        delete theirs.time;
        expect(mine).toEqual(theirs);
        expect(Object.keys(mine)).toEqual(Object.keys(theirs));
      }),
      { numRuns: 300 },
    );
  });

  it("writes the same lines in ASCII through a line batch, request after request (property)", () => {
    const clock: Clock = { now: () => 1_795_000_000_123, monotonic: () => 5_000.25 };
    // Requests drawn from a few, so fields repeat from one request to the next and change between.
    const requests = fc.array(contexts, { minLength: 1, maxLength: 4 }).chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 12 }));
    fc.assert(
      fc.property(requests, (vs) => {
        const handed: Buffer[] = [];
        const batch = new LineBatch({ write: (chunk: Buffer) => void handed.push(chunk) }, 64 * 1024);
        const fast = createLogger({ destination: batch }).child({}, { msgPrefix: "", redact: [] });
        const slow = capture();
        const log = new AccessLog(fast, clock);
        for (const v of vs) {
          const ctx = toContext(v);
          log.write(ctx);
          slow.logger.info(accessLogLine(ctx, clock));
        }
        batch.flush();
        const bytes = Buffer.concat(handed);
        expect(bytes.every((b) => b < 0x80)).toBe(true);
        const mine = bytes.toString("utf8").split("\n").slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
        const theirs = slow.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(mine).toHaveLength(vs.length);
        for (const line of [...mine, ...theirs]) delete line.time;
        expect(mine).toEqual(theirs);
      }),
      { numRuns: 200 },
    );
  });

  it("honours the logger's level", () => {
    const clock: Clock = { now: () => 0, monotonic: () => 0 };
    const quiet = capture(undefined, "warn");
    const ctx = toContext({ id: "r", method: "GET", host: "h", path: "/", route: null, upstream: null, consumer: null, subject: null, model: undefined, target: null, status: 404, startedAt: 0, upstreamMs: 0, bytesIn: 0, bytesOut: 0, clientIp: "127.0.0.1", errorCode: "route_not_found", usage: null, costUsd: null, cache: null, traceId: null });
    new AccessLog(quiet.logger, clock).write(ctx);
    expect(quiet.lines).toHaveLength(0);
    const loud = capture();
    new AccessLog(loud.logger, clock).write(ctx);
    expect(JSON.parse(loud.lines[0]!)).toMatchObject({ level: "info", service: "aigw", type: "access", status: 404, error: "route_not_found", route: null });
  });

  it("formats the time once per millisecond", () => {
    let now = 1_795_000_000_000;
    const clock: Clock = { now: () => now, monotonic: () => 0 };
    const out = capture();
    const log = new AccessLog(out.logger, clock);
    const ctx = toContext({ id: "r", method: "GET", host: "h", path: "/", route: null, upstream: null, consumer: null, subject: null, model: undefined, target: null, status: 200, startedAt: 0, upstreamMs: 0, bytesIn: 0, bytesOut: 0, clientIp: "::1", errorCode: null, usage: null, costUsd: null, cache: null, traceId: null });
    log.write(ctx);
    now += 1;
    log.write(ctx);
    expect(out.lines.map((l) => (JSON.parse(l) as { time: string }).time)).toEqual([new Date(now - 1).toISOString(), new Date(now).toISOString()]);
  });

  it("writes the time toISOString writes, for any time a Date holds and any order (property)", () => {
    // Fractional, negative and six-digit-year times; runs of close times reuse the second's text.
    const time = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
      fc.integer({ min: 1_795_000_000_000, max: 1_795_000_003_000 }),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 20 }), (times) => {
        let now = 0;
        const out = capture();
        const log = new AccessLog(out.logger, { now: () => now, monotonic: () => 0 });
        const ctx = toContext({ id: "r", method: "GET", host: "h", path: "/", route: null, upstream: null, consumer: null, subject: null, model: undefined, target: null, status: 200, startedAt: 0, upstreamMs: 0, bytesIn: 0, bytesOut: 0, clientIp: "::1", errorCode: null, usage: null, costUsd: null, cache: null, traceId: null });
        for (const t of times) {
          now = t;
          log.write(ctx);
        }
        expect(out.lines.map((l) => (JSON.parse(l) as { time: string }).time)).toEqual(times.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 300 },
    );
  });

  it("writes durations as the same text String() gives the rounded value (property and sweep)", () => {
    const expected = (ms: number) => {
      const v = Math.round(ms * 1000) / 1000;
      return Number.isFinite(v) ? String(v) : "null";
    };
    // Every microsecond of the first ten seconds, then doubles of any size and sign.
    const wrong: number[] = [];
    for (let us = 0; us <= 10_000_000; us++) if (millis(us / 1000) !== expected(us / 1000)) wrong.push(us);
    expect(wrong).toEqual([]);
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.double({ min: 0, max: 3e6, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 }).map((us) => us / 1000)), (ms) => {
        expect(millis(ms)).toBe(expected(ms));
      }),
      { numRuns: 20_000 },
    );
  });
});
