import { fromPointer } from "../../config/pointer.js";
import type { LintRule, RuleContext } from "../rule.js";

/** validate's own finding, re-reported as a lint finding so `lint.rules` can configure it. */
export const rule: LintRule = {
  id: "config.env.unset",
  severity: "warning",
  description: "A `${VAR}` names an environment variable that is not set here (fine in CI, which has no secrets; `serve` refuses it).",
  hint: "it must be set where the gateway runs; give a default with ${VAR:-value} if one makes sense",
  check(ctx: RuleContext) {
    for (const d of ctx.validateFindings) {
      if (d.rule === "config.env.unset") ctx.report(fromPointer(d.pointer), d.message);
    }
  },
};
