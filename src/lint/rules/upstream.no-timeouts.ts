import type { LintRule, RuleContext } from "../rule.js";

const FIELDS = [
  ["connectMs", "connect"],
  ["firstByteMs", "first-byte"],
  ["requestMs", "request"],
] as const;

/** A timeout of 0 disables it (undici's convention, and the whole-request timer's). */
export const rule: LintRule = {
  id: "upstream.no-timeouts",
  severity: "warning",
  description: "An upstream with a timeout set to 0, which disables it: a stalled provider holds requests and connections open.",
  hint: "set `timeouts.connectMs`, `firstByteMs` and `requestMs` above 0 (omitted, they default to 5s, 60s and 300s)",
  check(ctx: RuleContext) {
    ctx.config.upstreams.forEach((u, i) => {
      if (u.type === "mock") return;
      const disabled = FIELDS.filter(([key]) => u.timeouts[key] === 0);
      if (disabled.length === 0) return;
      const words = disabled.map(([, word]) => word);
      ctx.report(
        ["upstreams", i, "timeouts", disabled[0]![0]],
        `upstream ${JSON.stringify(u.name)} has no ${words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`} timeout${words.length === 1 ? "" : "s"} (0 disables ${words.length === 1 ? "it" : "them"})`,
      );
    });
  },
};
