import pino, { type DestinationStream, type Logger } from "pino";

export interface LoggerOptions {
  level?: string;
  /** Where lines go: a stream (tests), or stdout by default (buffered, flushed on exit). */
  destination?: DestinationStream;
}

/** Paths pino censors in every line, whatever a caller logs. */
const redactPaths = [
  "headers.authorization",
  "headers.cookie",
  'headers["x-api-key"]',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["x-api-key"]',
  '*.headers["proxy-authorization"]',
  "credentials",
  "*.credentials",
  "apiKey",
  "*.apiKey",
  "token",
  "secret",
];

/** JSON logs to stdout (pino). One logger per gateway process, passed in, never imported. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "aigw" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: "[redacted]" },
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

/** Flushes buffered lines (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // A destination without flush (tests) has nothing buffered.
  }
}
