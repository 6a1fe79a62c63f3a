import type { Decision, LimitSpec } from "./algorithms.js";

/** One counter to check: a policy's spec, the counter's key, and costs. */
export interface LimitCheck {
  /** Store key (policy, definition hash and key value). */
  key: string;
  spec: LimitSpec;
  /** What must be available to admit the request. */
  admit: number;
  /** What is charged when every enforced check admits the request. */
  cost: number;
  /** A shadow policy never denies; it is charged and reported. */
  shadow: boolean;
}

export interface CheckOutcome {
  /** Every enforced check admitted the request (counters were charged). */
  allowed: boolean;
  /** One decision per check, in order. */
  decisions: Decision[];
}

/**
 * Where counters live. `check` is atomic over all the checks of one request:
 * either every enforced check admits it and all are charged, or nothing is
 * charged. `adjust` reconciles a charge later (token usage), never denying.
 */
export interface RateLimitStore {
  /** Synchronous for stores that can answer without I/O (memory), so the request path skips a tick. */
  check(checks: readonly LimitCheck[]): CheckOutcome | Promise<CheckOutcome>;
  adjust(check: Pick<LimitCheck, "key" | "spec">, delta: number): Promise<void>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** The store cannot answer (Redis down or slow); `onError` decides. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
