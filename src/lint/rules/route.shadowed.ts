import type { CompiledRoute } from "../../compile/route.js";
import { GiveUp } from "../glob-lang.js";
import { nameList } from "../facts.js";
import { boxOf, coveredBy, isEmptyBox, overlaps } from "../request-space.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * Routes grouped by path, each group in file order. Given the router's
 * precedence (DESIGN.md 3: exact paths before prefixes, a longer prefix
 * before a shorter one, file order among routes of the same path), the
 * routes tried before a route on *every* path it matches are exactly the
 * earlier members of its group.
 *
 * An exact route at P is preceded only by earlier exact routes at P. A prefix
 * route at Q also matches paths under Q that no other route names (a fresh
 * last segment), where only earlier routes with the same prefix come first:
 * deeper prefixes and exact paths take some of its paths but never all.
 */
export function samePathGroups(routes: readonly CompiledRoute[]): CompiledRoute[][] {
  const groups = new Map<string, CompiledRoute[]>();
  for (const r of [...routes].sort((a, b) => a.index - b.index)) {
    const key = `${r.pathKind} ${r.path}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [r]);
    else group.push(r);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

export function describeRoutePath(route: CompiledRoute): string {
  return route.pathKind === "exact" ? `path ${route.path}` : route.path === "/" ? "every path" : `paths under ${route.path}`;
}

export const rule: LintRule = {
  id: "route.shadowed",
  severity: "error",
  description: "A route that can never match: every request it accepts is taken first by earlier routes of the same path.",
  hint: "routes of the same path are tried in file order: move this route above the ones that take its requests, narrow them, or remove it",
  check(ctx: RuleContext) {
    for (const group of samePathGroups(ctx.snapshot.routes)) {
      group.forEach((route, i) => {
        if (i > 0) check(ctx, route, group.slice(0, i));
      });
    }
  },
};

function check(ctx: RuleContext, route: CompiledRoute, before: readonly CompiledRoute[]): void {
  const budget = ctx.budget();
  try {
    const box = boxOf(route);
    if (isEmptyBox(box, budget)) return;
    // Only earlier routes that share a request with this one can take any of them.
    const sharing = before.map((r) => ({ r, b: boxOf(r) })).filter((x) => overlaps(box, x.b, budget));
    if (!coveredBy(box, sharing.map((x) => x.b), budget)) return;
    const takers = sharing.map((x) => x.r.name);
    ctx.report(
      ["routes", route.index, "name"],
      `route ${JSON.stringify(route.name)} can never match: every request it accepts on ${describeRoutePath(route)} is taken first by route${takers.length === 1 ? "" : "s"} ${nameList(takers)}`,
      { hint: `routes of the same path are tried in file order: move ${JSON.stringify(route.name)} above ${nameList(takers)}, narrow ${takers.length === 1 ? "that route's" : "their"} conditions, or remove it` },
    );
  } catch (err) {
    if (!(err instanceof GiveUp)) throw err;
  }
}
