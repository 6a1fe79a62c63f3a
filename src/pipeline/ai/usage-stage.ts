import { HttpError } from "../../errors/http.js";
import { requestedModel } from "./requested-model.js";
import { estimateUsage, type Usage } from "../../usage/extract.js";
import { costAt } from "../../usage/pricing.js";
import { periodEnd, type Period } from "../../usage/period.js";
import type { RunStage, StageFactory } from "../types.js";
import type { RequestContext } from "../types.js";
import { Meter } from "../metering.js";
import type { SettleHook } from "../types.js";
import { aiKind } from "./kind.js";

/**
 * Consumer budgets and metering on AI routes (DESIGN.md 5, "consumer
 * policy"): a consumer already at its `budget.usd` for the calendar period
 * gets 429 `insufficient_quota` before any upstream call; every request that
 * reached an upstream is metered once, however it ended (tokens and cost
 * from the one settlement of its Meter), into the consumer's usage, before a
 * successful response ends, so the next request, on any replica, sees it.
 * A cache hit is counted and costs nothing.
 */
export const usageStage: StageFactory = {
  name: "usage",
  create(route, resources) {
    if (!route.ai) return null;
    const { ledger, prices, defaultMaxTokens } = resources.ai;
    const metrics = resources.metrics;
    const onError = resources.rateLimits.onError;
    const estimate = (ctx: RequestContext): Usage => estimateUsage(ctx.json, aiKind(ctx.path) !== "embeddings", defaultMaxTokens);

    /** Cost from the settled usage, metrics, the consumer's ledger. */
    const record: SettleHook = (ctx, meter) => {
      if (!meter.counted) return;
      const usage = meter.total;
      const requested = requestedModel(ctx);
      const hit = meter.exchanges === 0;
      const price = prices.priceFor(requested, ctx.responseModel);
      const cost = hit ? 0 : costAt(price, usage);
      ctx.costUsd = cost;
      if (!hit) metrics.recordUsage(price?.glob.pattern ?? "unpriced", usage.inputTokens, usage.outputTokens, cost, ctx.consumer?.name);
      const who = ctx.consumer?.name ?? ctx.identity?.subject;
      if (who === undefined) return;
      const failed = (err: unknown): void => resources.logger.warn({ err: (err as Error).message, consumer: who }, "could not record usage");
      try {
        return ledger.add(who, ctx.consumer?.budget?.period ?? "month", { requests: 1, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: cost })?.catch(failed);
      } catch (err) {
        failed(err);
      }
    };

    /** 429 `insufficient_quota` when the consumer has spent its budget for the period. */
    const checkBudget = async (who: string, budget: { readonly usd: number; readonly period: Period }): Promise<void> => {
      const period = budget.period;
      let spent = 0;
      try {
        spent = (await ledger.get(who, period)).costUsd;
      } catch (err) {
        resources.logger.warn({ err: (err as Error).message, onError }, "usage store unavailable for a budget check");
        if (onError === "deny") throw new HttpError("usage_unavailable", "budgets cannot be checked right now", { headers: { "retry-after": "1" } });
      }
      if (spent >= budget.usd) {
        const wait = Math.ceil((periodEnd(period, resources.clock.now()) - resources.clock.now()) / 1000);
        throw new HttpError("insufficient_quota", `consumer ${who} has used its budget of $${budget.usd} for this ${period} ($${spent.toFixed(4)} spent)`, {
          headers: { "retry-after": String(Math.max(1, wait)) },
        });
      }
    };

    /** The request is metered from here on; the rest of the chain runs. */
    const metered: RunStage = (ctx, next, done) => {
      const meter = (ctx.meter ??= new Meter(estimate));
      meter.onSettle(record);
      next(ctx, done);
    };

    // Without a budget to check, the chain goes on in the same tick.
    return {
      run(ctx, next, done) {
        const who = ctx.consumer?.name ?? ctx.identity?.subject;
        const budget = ctx.consumer?.budget;
        if (budget === undefined || who === undefined) {
          metered(ctx, next, done);
          return;
        }
        checkBudget(who, budget)
          .then(() => metered(ctx, next, done))
          .catch(done);
      },
    };
  },
};
