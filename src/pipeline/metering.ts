import type { Usage } from "../usage/extract.js";
import type { ExchangeEnd, RequestContext, SettleHook, UsageMeter } from "./types.js";

/**
 * One request's token metering. Every upstream exchange the request makes
 * adds what it used: a complete answer the usage its upstream reported (the
 * estimate made from the request for what it did not report); a cut one its
 * reported input and at least the estimated output; an error answer only
 * what it reported. The request is settled
 * exactly once, whichever way it ends: before a successful response ends (so
 * `x-aigw-cost-usd` is exact and the next request sees it), else when the
 * request completes. Budgets, token limits, metrics and the ledger all read
 * that one settlement through their hooks, so none of them can skip an
 * exchange another one counted.
 */
export class Meter implements UsageMeter {
  /** Exchanges that reached an upstream. */
  exchanges = 0;
  /** The answer came from the response cache (counted, costs nothing). */
  cacheHit = false;
  private inputTokens = 0;
  private outputTokens = 0;
  private open: { input: number | undefined; output: number | undefined } | null = null;
  private readonly hooks: SettleHook[] = [];
  private settling: Promise<void> | null = null;

  constructor(private readonly estimate: (ctx: RequestContext) => Usage) {}

  /** Runs at settlement, in the order added. */
  onSettle(hook: SettleHook): void {
    this.hooks.push(hook);
  }

  /** The request is on its way to an upstream: a new exchange (any open one was cut). */
  begin(ctx: RequestContext): void {
    if (this.open !== null) this.end(ctx, "cut");
    this.open = { input: undefined, output: undefined };
    this.exchanges++;
  }

  /** Usage the open exchange's upstream reported so far (later reports win, an input of 0 never replaces one seen). */
  report(usage: Partial<Usage> | null): void {
    if (usage === null || this.open === null) return;
    if (usage.inputTokens !== undefined && (usage.inputTokens > 0 || this.open.input === undefined)) this.open.input = usage.inputTokens;
    if (usage.outputTokens !== undefined) this.open.output = usage.outputTokens;
  }

  /** Closes the open exchange (a no-op when none is open, so every end path may call it). */
  end(ctx: RequestContext, how: ExchangeEnd): void {
    const open = this.open;
    if (open === null) return;
    this.open = null;
    if (how === "unreached") {
      this.exchanges--;
      return;
    }
    if (how === "error") {
      this.inputTokens += open.input ?? 0;
      this.outputTokens += open.output ?? 0;
      return;
    }
    if (how === "complete" && open.input !== undefined && open.output !== undefined) {
      this.inputTokens += open.input;
      this.outputTokens += open.output;
      return;
    }
    // Providers report output tokens at the end of a stream (Anthropic's
    // message_start says 1): a cut exchange is charged at least the estimate,
    // so leaving before the last event never makes an answer free.
    const guess = this.estimate(ctx);
    this.inputTokens += open.input ?? guess.inputTokens;
    this.outputTokens += how === "cut" ? Math.max(open.output ?? 0, guess.outputTokens) : (open.output ?? guess.outputTokens);
  }

  /** Whether anything is to be charged or counted: an upstream was reached, or the cache answered. */
  get counted(): boolean {
    return this.exchanges > 0 || this.cacheHit;
  }

  /** The tokens of every exchange so far. */
  get total(): Usage {
    return { inputTokens: this.inputTokens, outputTokens: this.outputTokens };
  }

  /**
   * Settles the request: closes an exchange still open (it was cut), sets
   * `ctx.usage`, and runs every hook. Idempotent: every caller gets the one
   * settlement. Never rejects (a hook logs its own failures).
   */
  settle(ctx: RequestContext, how: ExchangeEnd = "cut"): Promise<void> {
    this.settling ??= this.run(ctx, how);
    return this.settling;
  }

  get settled(): boolean {
    return this.settling !== null;
  }

  /**
   * Hooks start in the order added, each as soon as the one before returned
   * (not when its promise settled); a hook with nothing to wait for
   * returns nothing, and a settlement with nothing to wait for is a
   * settled promise, so a request metered in memory takes no extra ticks.
   */
  private run(ctx: RequestContext, how: ExchangeEnd): Promise<void> {
    try {
      this.end(ctx, how);
    } catch (err) {
      // The estimate failed: what was counted so far is settled; the request still ends.
      settleFailed(ctx, err);
    }
    if (this.exchanges > 0) ctx.usage = this.total;
    let waiting: Promise<void>[] | null = null;
    for (const hook of this.hooks) {
      try {
        const pending = hook(ctx, this);
        if (pending !== undefined) (waiting ??= []).push(pending.catch((err: unknown) => settleFailed(ctx, err)));
      } catch (err) {
        settleFailed(ctx, err);
      }
    }
    return waiting === null ? SETTLED : Promise.all(waiting).then(() => undefined);
  }
}

const SETTLED: Promise<void> = Promise.resolve();

/** A settlement's promise, or undefined when it is already over (nothing to wait for: usage kept in memory). */
export function pendingOf(settling: Promise<void>): Promise<void> | undefined {
  return settling === SETTLED ? undefined : settling;
}

function settleFailed(ctx: RequestContext, err: unknown): void {
  ctx.generation.resources.logger.warn({ err: (err as Error).message, requestId: ctx.id }, "could not settle the request's usage");
}

/** Ends the request's open exchange, if the request is metered. */
export function endExchange(ctx: RequestContext, how: ExchangeEnd): void {
  ctx.meter?.end(ctx, how);
}

/** Settles a metered request now (before a successful answer ends); a no-op for requests that are not metered. */
export function settleNow(ctx: RequestContext, how: ExchangeEnd): Promise<void> {
  return ctx.meter === null ? SETTLED : ctx.meter.settle(ctx, how);
}
