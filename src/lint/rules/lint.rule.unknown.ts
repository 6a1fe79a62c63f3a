import { ruleInfo } from "../../config/rules.js";
import { didYouMean } from "../../config/suggest.js";
import type { LintRule, RuleContext } from "../rule.js";

export const rule: LintRule = {
  id: "lint.rule.unknown",
  severity: "warning",
  description: "`lint.rules` names a rule that lint does not have (a typo, or a validate rule, which cannot be configured).",
  hint: "use a rule id from `aigw lint --list-rules`",
  check(ctx: RuleContext) {
    for (const id of Object.keys(ctx.config.lint.rules ?? {})) {
      if (ctx.ruleIds.includes(id)) continue;
      const message =
        ruleInfo(id) !== undefined
          ? `${JSON.stringify(id)} is a validate rule; \`lint.rules\` configures lint rules only`
          : `unknown lint rule ${JSON.stringify(id)}${didYouMean(id, ctx.ruleIds)}`;
      ctx.report(["lint", "rules", id], message, { key: true });
    }
  },
};
