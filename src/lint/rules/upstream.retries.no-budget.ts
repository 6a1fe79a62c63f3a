import type { LintRule, RuleContext } from "../rule.js";

/**
 * `retries.budgetRatio` caps retries at a share of requests (default 0.2).
 * At 1, its maximum, the cap is all traffic: it no longer holds a retry storm back.
 */
export const rule: LintRule = {
  id: "upstream.retries.no-budget",
  severity: "warning",
  description: "An upstream that retries with no effective retry budget (`budgetRatio: 1`): an outage can double its load.",
  hint: "keep `retries.budgetRatio` well below 1 (the default 0.2 lets retries add at most 20% to the traffic)",
  check(ctx: RuleContext) {
    ctx.config.upstreams.forEach((u, i) => {
      const attempts = u.retries.attempts;
      const ratio = u.retries.budgetRatio;
      if (attempts < 1 || ratio < 1) return;
      ctx.report(
        ["upstreams", i, "retries", "budgetRatio"],
        `upstream ${JSON.stringify(u.name)} retries up to ${attempts} time${attempts === 1 ? "" : "s"} with budgetRatio ${ratio}: the budget does not bound retries, so a failing upstream gets as many retries as requests`,
      );
    });
  },
};
