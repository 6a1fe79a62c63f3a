import { createHash } from "node:crypto";
import type { CompiledRoute } from "../compile/route.js";
import type { RequestContext } from "./types.js";

/** A number in [0, 1) that stays the same for the same text. */
function stablePoint(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The upstream of a route for one request: its `upstream`, or a weighted
 * draw from its `split`. With `sticky: consumer` the draw is a hash of the
 * consumer (else the identity, else the client address), so each caller
 * stays on one side of the split while the weights hold.
 */
export function chooseUpstream(route: CompiledRoute, ctx: RequestContext, random: () => number): string {
  if (route.upstream !== null) return route.upstream;
  const split = route.split ?? [];
  const total = split.reduce((s, x) => s + x.weight, 0);
  const who = route.sticky === "consumer" ? (ctx.consumer?.name ?? ctx.identity?.subject ?? ctx.clientIp) : undefined;
  let draw = (who === undefined ? random() : stablePoint(`${route.name}\u0000${who}`)) * total;
  for (const s of split) {
    draw -= s.weight;
    if (draw < 0) return s.upstream;
  }
  return split[split.length - 1]!.upstream;
}
