import type { Logger } from "pino";

/** Time, as the gateway reads it. Tests pass a fake one. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** What a gateway instance needs from the outside world; nothing is a module-level singleton. */
export interface Deps {
  clock: Clock;
  logger: Logger;
  /** Uniform in [0, 1). */
  random: () => number;
}
