import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "budget.on-error-allow",
  severity: "warning",
  description: "Consumers have budgets while `state.redis.onError` is `allow` (the default): while Redis is down, spending is not capped.",
  hint: "set `state.redis.onError: deny` when budgets are hard limits (requests then get 503 while Redis is down)",
  check(ctx: RuleContext) {
    const redis = ctx.config.state.redis;
    if (redis === undefined || (redis.onError) !== "allow") return;
    const budgeted = ctx.config.consumers.filter((c) => c.budget !== undefined).map((c) => c.name);
    if (budgeted.length === 0) return;
    const written = ctx.wrote(["state", "redis", "onError"]);
    ctx.report(
      written ? ["state", "redis", "onError"] : ["state", "redis"],
      `${budgeted.length} consumer${budgeted.length === 1 ? " has a budget" : "s have budgets"}, but \`onError: allow\`${written ? "" : " (the default)"} lets requests through unmetered while Redis is unreachable`,
      { key: !written },
    );
  },
};
