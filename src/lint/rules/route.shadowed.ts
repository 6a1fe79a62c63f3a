import type { CompiledRoute } from "../../compile/route.js";
import { GiveUp } from "../glob-lang.js";
import { nameList } from "../facts.js";
import { boxOf, coveredBy, isEmptyBox, overlaps } from "../request-space.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * The routes tried before `route` on every path it can match, given the
 * router's precedence (DESIGN.md 3): exact paths before prefixes, a longer
 * prefix before a shorter one, file order among routes of the same path.
 *
 * An exact route at P is preceded only by earlier exact routes at P. A prefix
 * route at Q also matches paths under Q that no other route names (a fresh
 * last segment), where only earlier routes with the same prefix come first:
 * deeper prefixes and exact paths take some of its paths but never all.
 */
export function samePathPredecessors(route: CompiledRoute, routes: readonly CompiledRoute[]): CompiledRoute[] {
  return routes.filter((r) => r.index < route.index && r.pathKind === route.pathKind && r.path === route.path);
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
    const routes = ctx.snapshot.routes;
    for (const route of routes) {
      const before = samePathPredecessors(route, routes);
      if (before.length === 0) continue;
      const budget = ctx.budget();
      try {
        const box = boxOf(route);
        if (isEmptyBox(box, budget)) continue;
        const boxes = before.map(boxOf);
        if (!coveredBy(box, boxes, budget)) continue;
        const takers = before.filter((_, i) => overlaps(box, boxes[i]!, budget)).map((r) => r.name);
        ctx.report(
          ["routes", route.index, "name"],
          `route ${JSON.stringify(route.name)} can never match: every request it accepts on ${describeRoutePath(route)} is taken first by route${takers.length === 1 ? "" : "s"} ${nameList(takers)}`,
          { hint: `routes of the same path are tried in file order: move ${JSON.stringify(route.name)} above ${nameList(takers)}, narrow ${takers.length === 1 ? "that route's" : "their"} conditions, or remove it` },
        );
      } catch (err) {
        if (!(err instanceof GiveUp)) throw err;
      }
    }
  },
};
