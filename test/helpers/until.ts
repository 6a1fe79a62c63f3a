/**
 * Waiting for something to happen: a bounded poll, never a fixed sleep.
 *
 * A test that sleeps "long enough" for a process to log a line or a reload to
 * apply is slow on a fast machine and flaky on a slow one; polling the
 * condition is as fast as the event, and the limit only bounds a failure.
 */

type Falsy = false | null | undefined;

/** What a poll reports when it gives up: fixed text, or text built from the latest state. */
export type What = string | (() => string);

/**
 * Polls `check` until it returns something other than false, null or
 * undefined, and resolves with that value. Fails after `limitMs` with
 * `what` in the message (a bound on failure, not a timing).
 */
export async function until<T>(check: () => T | Falsy | Promise<T | Falsy>, what: What, limitMs = 10_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const lastLines = (logs: Record<string, unknown>[]): string => logs.slice(-8).map((l) => JSON.stringify(l).slice(0, 240)).join("\n");

/** The first log line that `test` accepts, once a process or an in-process gateway has written it. */
export function logLine(logs: Record<string, unknown>[], test: (line: Record<string, unknown>) => boolean, what = "a log line", limitMs = 10_000): Promise<Record<string, unknown>> {
  return until(() => logs.find(test), () => `${what}; last lines:\n${lastLines(logs)}`, limitMs);
}

/** Every log line that `test` accepts, once there are at least `count` of them. */
export function logLines(logs: Record<string, unknown>[], test: (line: Record<string, unknown>) => boolean, count: number, what = "log lines", limitMs = 10_000): Promise<Record<string, unknown>[]> {
  return until(
    () => {
      const seen = logs.filter(test);
      return seen.length >= count ? seen : undefined;
    },
    () => `${count} ${what} (saw ${logs.filter(test).length}); last lines:\n${lastLines(logs)}`,
    limitMs,
  );
}
