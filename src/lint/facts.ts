/** Facts about a config that several lint rules share: who uses what, AI-ness, prices. */
import { compileGlob } from "../compile/router/glob.js";
import { isAiUpstreamType } from "../config/kinds.js";
import type { GatewayConfig, Price, Route, Upstream } from "../config/types.js";

/** The upstreams a route sends to first: its `upstream` or its split members. */
export function primaries(route: Route): string[] {
  return route.upstream !== undefined ? [route.upstream] : (route.split ?? []).map((s) => s.upstream);
}

/** Every upstream a route may send to: primaries, then fallbacks. */
export function members(route: Route): string[] {
  return [...primaries(route), ...(route.fallback ?? [])];
}

export function upstreamMap(config: GatewayConfig): Map<string, Upstream> {
  return new Map(config.upstreams.map((u) => [u.name, u]));
}

/** An AI upstream that costs money per token (`mock` answers for free, with no network). */
export function isPaidAi(upstream: Upstream | undefined): boolean {
  return upstream !== undefined && isAiUpstreamType(upstream.type) && upstream.type !== "mock";
}

/** Policies that can reject (not `mode: shadow`) among `names`. */
export function enforcing(config: GatewayConfig, names: readonly string[]): string[] {
  const modes = new Map(config.rateLimits.map((p) => [p.name, p.mode]));
  return names.filter((n) => modes.get(n) === "enforce");
}

/** Model globs of a route's `match.model`, or undefined when it matches any model. */
export function routeModels(route: Route): string[] | undefined {
  const m = route.match.model;
  return m === undefined ? undefined : Array.isArray(m) ? m : [m];
}

/**
 * The price of a model: the pricing entry whose glob matches it with the
 * longest literal prefix (DESIGN.md 10), the first in file order on a tie.
 */
export function priceOf(model: string, pricing: readonly Price[]): Price | undefined {
  let best: Price | undefined;
  let bestLength = -1;
  for (const p of pricing) {
    const glob = compileGlob(p.model);
    if (glob.test(model) && glob.literalPrefix.length > bestLength) {
      best = p;
      bestLength = glob.literalPrefix.length;
    }
  }
  return best;
}

/** USD per 1M tokens, input plus output: one number to compare models by. */
export function unitCost(price: Price): number {
  return price.input + price.output;
}

/** Route names as a short list for messages: `"a"`, `"a" and "b"`, `"a", "b" and 3 more`. */
export function nameList(names: readonly string[], max = 3): string {
  const quoted = names.map((n) => JSON.stringify(n));
  if (quoted.length <= 1) return quoted.join("");
  if (quoted.length <= max) return `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
  return `${quoted.slice(0, max).join(", ")} and ${quoted.length - max} more`;
}
