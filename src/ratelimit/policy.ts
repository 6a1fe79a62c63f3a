import { createHash } from "node:crypto";
import type { CompiledPolicy } from "../compile/snapshot.js";
import type { RequestContext } from "../pipeline/context.js";
import type { LimitSpec } from "./algorithms.js";

/** A policy ready for requests: its spec, and a key prefix that changes when its definition does. */
export interface RuntimePolicy {
  readonly policy: CompiledPolicy;
  readonly spec: LimitSpec;
  /** `<name>:<hash8>:`: counters of an unchanged policy survive a reload; a changed one starts fresh. */
  readonly prefix: string;
  /** Seconds of the window, for RateLimit-Policy. */
  readonly windowSeconds: number;
}

export function runtimePolicy(policy: CompiledPolicy): RuntimePolicy {
  const hash = createHash("sha256")
    .update(JSON.stringify([policy.algorithm, policy.limit, policy.windowMs, policy.key, policy.cost]))
    .digest("hex")
    .slice(0, 8);
  return {
    policy,
    spec: { algorithm: policy.algorithm, limit: policy.limit, windowMs: policy.windowMs },
    prefix: `${policy.name}:${hash}:`,
    windowSeconds: Math.max(1, Math.round(policy.windowMs / 1000)),
  };
}

function headerOf(ctx: RequestContext, name: string): string {
  const v = ctx.req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? "-";
}

/**
 * The counter key a request falls in, per the policy's `key`: `consumer`
 * (the declared consumer, else the authenticated identity, else the client
 * address), `ip` (honouring trustProxy), `route`, `global`,
 * `header:<name>`, `claim:<name>` (`-` when absent).
 */
export function keyValue(p: RuntimePolicy, ctx: RequestContext, routeName: string): string {
  const kind = p.policy.key;
  switch (kind) {
    case "consumer": {
      const who = ctx.consumer?.name ?? ctx.identity?.subject;
      return who === undefined ? `ip:${ctx.clientIp}` : `c:${who}`;
    }
    case "ip":
      return `ip:${ctx.clientIp}`;
    case "route":
      return `r:${routeName}`;
    case "global":
      return "g";
    default:
      if (kind.startsWith("header:")) return `h:${headerOf(ctx, kind.slice(7).toLowerCase())}`;
      if (kind.startsWith("claim:")) {
        const v = ctx.identity?.claims[kind.slice(6)];
        return `cl:${v === undefined ? "-" : String(v)}`;
      }
      return "g";
  }
}
