import { GiveUp, includes, sharedExample } from "../glob-lang.js";
import { boxOf, coveredBy, overlaps } from "../request-space.js";
import type { LintRule, RuleContext } from "../rule.js";
import { describeRoutePath, samePathGroups } from "./route.shadowed.js";

/**
 * Two routes of the same path whose `model` patterns overlap while neither
 * earlier pattern is contained in the later one: the earlier route silently
 * takes part of what the later one names. A specific route before a general
 * one (`gpt-4o-mini` before `gpt-*`) is the intended pattern and is not
 * reported; a later route that can never match is `route.shadowed`'s.
 */
export const rule: LintRule = {
  id: "route.model.claimed-twice",
  severity: "warning",
  description: "Two routes of the same path claim the same model: the earlier one takes it, the later one's pattern is partly dead.",
  hint: "make the model patterns disjoint, or list the more specific route first",
  check(ctx: RuleContext) {
    const pairs = samePathGroups(ctx.snapshot.routes).flatMap((group) => group.map((route, i) => [route, group.slice(0, i)] as const).slice(1));
    for (const [later, before] of pairs) {
      if (later.model === null) continue;
      const laterBox = boxOf(later);
      const budget = ctx.budget();
      try {
        const sharing = before.map(boxOf).filter((b) => overlaps(laterBox, b, budget));
        if (coveredBy(laterBox, sharing, budget)) continue; // route.shadowed reports it
        for (const earlier of before) {
          if (earlier.model === null) continue;
          const earlierBox = boxOf(earlier);
          if (!overlaps(laterBox, earlierBox, budget, "model")) continue;
          if (includes(laterBox.model, earlierBox.model, budget)) continue; // specific before general
          const example = sharedExample(laterBox.model, earlierBox.model, budget);
          if (example === undefined) continue;
          ctx.report(
            ["routes", later.index, "match", "model"],
            `routes ${JSON.stringify(earlier.name)} and ${JSON.stringify(later.name)} both claim models such as ${JSON.stringify(example)} on ${describeRoutePath(later)}; ${JSON.stringify(earlier.name)} comes first and takes them`,
            { key: true },
          );
          break;
        }
      } catch (err) {
        if (!(err instanceof GiveUp)) throw err;
      }
    }
  },
};
