import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import type { Logger } from "pino";
import type { Gateway } from "./gateway.js";

/** What the trimmer watches and does; the clock and timer functions are passed in so tests can drive them. */
export interface IdleTrimOptions {
  /** How long the data plane must be quiet (no request started, none in flight) before a trim. */
  idleMs: number;
  /** A count that goes up with every request (started or finished). */
  activity: () => number;
  /** Requests in flight now. */
  inFlight: () => number;
  /** Hands memory back (a full GC). */
  collect: () => void;
  /** Monotonic milliseconds (default `performance.now`). */
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => { unref?: () => void };
  clearInterval?: (timer: never) => void;
}

/** The trimmer looks at the data plane this often at most (less when `idleMs` is shorter). */
export const IDLE_CHECK_MS = 5000;

/**
 * Once the data plane has been quiet for `idleMs` after serving traffic, run
 * one full garbage collection so the heap that the load grew goes back to
 * the OS; then wait for traffic again. V8's own memory reducer does this
 * too, but on its own schedule (measured: sometimes not within 15 s, the
 * heap then holds 30 MB of headroom at rest). Like a JVM's periodic G1
 * collection or Envoy's release of free memory, it is for a process that
 * has gone quiet: memory handed back is faulted in again when traffic
 * returns, which costs the first second after the trim (see
 * docs/operations.md, "Memory"), hence the long default. Checks every
 * `min(idleMs, IDLE_CHECK_MS)` (an unref'd timer), so the trim lands at most
 * one check after `idleMs` of quiet. Returns the function that stops it.
 */
export function trimWhenIdle(options: IdleTrimOptions): () => void {
  if (!(options.idleMs > 0)) return () => undefined;
  const every = options.setInterval ?? setInterval;
  const stop = options.clearInterval ?? clearInterval;
  const now = options.now ?? (() => performance.now());
  let seen = options.activity();
  let quietSince = now();
  let trimmed = true; // nothing to hand back before the first request
  const timer = every(() => {
    const count = options.activity();
    if (count !== seen || options.inFlight() > 0) {
      seen = count;
      quietSince = now();
      trimmed = false;
      return;
    }
    if (trimmed || now() - quietSince < options.idleMs) return;
    trimmed = true;
    options.collect();
  }, Math.min(options.idleMs, IDLE_CHECK_MS));
  timer.unref?.();
  return () => stop(timer as never);
}

/**
 * V8's `gc()` without `--expose-gc` on node's command line: the flag is set
 * for a moment, a fresh context picks the function up, the flag is unset so
 * no other code sees a global `gc`. With `compact`, each call also compacts
 * (see `compacting`). Null when V8 refuses.
 */
export function fullGc(compact = false): (() => void) | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc !== "function") return null;
    return compact ? compacting(gc as () => void) : () => (gc as () => void)();
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}

/**
 * A full GC that also compacts every old-space page. A plain full GC only
 * moves objects off pages that are mostly empty, so after a load the old
 * space keeps its high-water pages half used (measured after 100,000
 * requests: 17.5 MB of old space for 12 MB of objects, 5–6 MB of RSS over
 * idle); V8's memory reducer compacts, but on its own schedule. The flag is
 * set for this one collection only. On by default (`AIGW_IDLE_GC_COMPACT=0`
 * turns it off): the pages handed back are faulted in again when traffic
 * returns, and the first seconds after the trim have a longer tail
 * (measured at 500 req/s right after a trim: p99 added over direct, median
 * of six runs, 4.6 ms compacting against 3.3 ms not); with the trim only
 * after a minute of quiet, that moment is rare.
 */
function compacting(gc: () => void): () => void {
  return () => {
    v8.setFlagsFromString("--compact-on-every-full-gc");
    try {
      gc();
    } finally {
      v8.setFlagsFromString("--no-compact-on-every-full-gc");
    }
  };
}

/**
 * The trimmer of `aigw serve` (one process, or each cluster worker):
 * `AIGW_IDLE_GC_MS` of quiet (default 60000; 0 turns it off), then one full
 * GC, compacting unless `AIGW_IDLE_GC_COMPACT` is off.
 */
export function trimGatewayWhenIdle(gateway: () => Gateway | null, env: Readonly<Record<string, string | undefined>>, logger: Logger): () => void {
  const idleMs = idleTrimMs(env);
  const gc = idleMs > 0 ? fullGc(!isOff(env.AIGW_IDLE_GC_COMPACT)) : null;
  if (gc === null) return () => undefined;
  const collect = (): void => {
    const before = process.memoryUsage();
    const started = performance.now();
    gc();
    const after = process.memoryUsage();
    const mb = (n: number): number => Math.round(n / 104857.6) / 10;
    logger.info({ idleMs, ms: Math.round(performance.now() - started), heapTotalMb: [mb(before.heapTotal), mb(after.heapTotal)], rssMb: [mb(before.rss), mb(after.rss)] }, "idle: heap trimmed");
  };
  return trimWhenIdle({ idleMs, activity: () => gateway()?.requestsStarted ?? 0, inFlight: () => gateway()?.inFlight ?? 0, collect });
}

const isOff = (value: string | undefined): boolean => value !== undefined && ["0", "false", "no", "off"].includes(value.trim().toLowerCase());

/** `AIGW_IDLE_GC_MS`: ms of quiet before the trim; 0 = off; 60000 when unset or not a number. */
export function idleTrimMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.AIGW_IDLE_GC_MS?.trim();
  const value = raw === undefined || raw === "" ? DEFAULT_IDLE_MS : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_IDLE_MS;
}
export const DEFAULT_IDLE_MS = 60_000;
