import pino, { type DestinationStream, type Logger } from "pino";
import { isSensitiveName } from "../config/redact.js";
import { LineBatch, type BatchTarget } from "./line-batch.js";

export interface LoggerOptions {
  level?: string;
  /** Where lines go: a stream (tests), or stdout by default (buffered, flushed on exit). */
  destination?: DestinationStream;
  /** Fields on every line besides `service` (a cluster worker adds `worker` and `pid`). */
  base?: Record<string, unknown>;
  /**
   * Other processes write to the same stdout (`serve --workers N`): every
   * write is at most 4096 bytes (PIPE_BUF on Linux) of whole lines, so lines
   * of different processes never interleave within a line on a pipe.
   */
  sharedStdout?: boolean;
}

/** Credential headers censored wherever a `headers` object is logged one level down. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-goog-api-key"];

/** Paths pino censors in every line, whatever a caller logs. */
const redactPaths = [
  ...CREDENTIAL_HEADERS.map((h) => `*.headers[${JSON.stringify(h)}]`),
  "credentials",
  "*.credentials",
  "apiKey",
  "*.apiKey",
  "token",
  "secret",
];

/** JSON logs to stdout (pino). One logger per gateway process, passed in, never imported. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? stdoutDestination(options.sharedStdout === true);
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "aigw", ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: "[redacted]" },
      // A logged `headers` object: every value under a credential-like name (`*token*`, `*key*`, `*auth*`, ...) censored.
      serializers: { headers: censorHeaders },
    },
    destination,
  );
}

/**
 * Flushes buffered lines every `intervalMs` (stdout is written in 4 KiB
 * batches), so a quiet gateway's last lines still show up promptly.
 * Returns the function that stops it.
 */
export function flushPeriodically(logger: Logger, intervalMs = 250): () => void {
  const timer = setInterval(() => flushLogger(logger), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Writes out buffered lines (periodically, and before exit). The
 * destination's own `flush()` is called without a callback: it starts a
 * write unless one is under way. (`logger.flush()` would pass a callback,
 * which waits for a drain that never comes while lines keep arriving, and
 * each call would leave listeners behind under sustained load.)
 */
export function flushLogger(logger: Logger): void {
  try {
    const stream = (logger as unknown as Record<symbol, { flush?: () => void } | undefined>)[pino.symbols.streamSym];
    if (typeof stream?.flush === "function") stream.flush();
  } catch {
    // A destination without flush (tests) has nothing buffered.
  }
}

/**
 * stdout through sonic-boom (asynchronous writes, flushed on exit), with
 * whole lines gathered in front of it (`LineBatch`): up to 64 KiB a batch,
 * or 4 KiB of whole lines when other processes share the pipe.
 */
function stdoutDestination(shared: boolean): DestinationStream {
  // Registered before pino.destination registers its own exit flush of the
  // destination, so lines still gathered here reach it first.
  let batch: LineBatch | null = null;
  const release = (): void => batch?.release();
  process.on("beforeExit", release);
  process.on("exit", release);
  const sonic = pino.destination(
    shared
      ? { dest: 1, sync: false, contentMode: "buffer", minLength: PIPE_BUF - 512, maxWrite: PIPE_BUF }
      : { dest: 1, sync: false, contentMode: "buffer", minLength: 4096, maxWrite: BATCH_BYTES },
  );
  // In buffer mode sonic-boom takes Buffers (its types only name strings).
  batch = new LineBatch(sonic as unknown as BatchTarget, shared ? PIPE_BUF : BATCH_BYTES);
  return batch;
}

const PIPE_BUF = 4096;
/**
 * One write of this many bytes of whole lines at most (a pipe's default
 * capacity): each write is a hand-off to libuv's thread pool, which costs
 * far more than the bytes, so fewer, larger writes (measured: 16 → 64 KiB
 * gave 3% more capacity on an access-logged AI route, side by side).
 */
const BATCH_BYTES = 64 * 1024;

/** A copy of a headers object (plain or `[name, value]` pairs) with credential-like values censored. */
export function censorHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== "object") return headers;
  if (Array.isArray(headers)) return headers.map((h) => (Array.isArray(h) && typeof h[0] === "string" && isSensitiveName(h[0]) ? [h[0], "[redacted]"] : h));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) out[k] = isSensitiveName(k) ? "[redacted]" : v;
  return out;
}
