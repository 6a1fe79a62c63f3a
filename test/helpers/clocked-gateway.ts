import type { Clock } from "../../src/deps.js";
import { startTestGateway, type TestGateway } from "./gateway.js";

/** A clock that moves only when told to. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2030, 0, 1)): FakeClock {
  let wall = start;
  let mono = 1_000;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
  };
}

/**
 * A real gateway in-process from YAML text, as `startTestGateway`, but
 * reading time from `clock` (rate-limit windows, breaker cool-downs, token
 * expiry).
 */
export function startClockedGateway(yaml: string, clock: Clock, options: { env?: Record<string, string> } = {}): Promise<TestGateway> {
  return startTestGateway(yaml, { ...options, clock });
}
