import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "state.memory.replicas",
  severity: "warning",
  description: "More than one replica declared while state is in memory: each replica counts limits, budgets and cache on its own.",
  hint: "add `state.redis` so replicas share counters, or set `server.replicas: 1`",
  check(ctx: RuleContext) {
    const replicas = ctx.config.server.replicas;
    if (replicas <= 1 || ctx.config.state.redis !== undefined) return;
    ctx.report(
      ["server", "replicas"],
      `${replicas} replicas share no state: with in-memory state every limit and budget applies per replica, so callers get up to ${replicas}× what the file says`,
    );
  },
};
