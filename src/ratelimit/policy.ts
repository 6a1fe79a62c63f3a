import { createHash } from "node:crypto";
import type { CompiledPolicy } from "../compile/snapshot.js";
import { clientSubnet } from "../net/client-ip.js";
import type { IncomingHttpHeaders } from "node:http";
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

/**
 * The policy part of a counter's store key (`<name>:<hash8>:`, what
 * `runtimePolicy` puts before every key value) and the policy's name.
 * Policy names hold no `:`, so the second one ends it.
 */
export function counterScope(storeKey: string): { prefix: string; policy: string } {
  const first = storeKey.indexOf(":");
  const second = first === -1 ? -1 : storeKey.indexOf(":", first + 1);
  if (second === -1) return { prefix: "", policy: storeKey };
  return { prefix: storeKey.slice(0, second + 1), policy: storeKey.slice(0, first) };
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

/** What a counter key is made of: the request's facts the policies can key on (a request context has them). */
export interface KeyedRequest {
  readonly req: { readonly headers: IncomingHttpHeaders };
  readonly consumer: { readonly name: string } | null;
  readonly identity: { readonly subject: string; readonly claims: Readonly<Record<string, unknown>> } | null;
  readonly clientIp: string;
}

function headerOf(ctx: KeyedRequest, name: string): string {
  const v = ctx.req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? "-";
}

/** Key values longer than this are kept as a digest: a client picks header values, and every counter holds its key. */
export const MAX_KEY_VALUE_CHARS = 128;

function bounded(value: string): string {
  return value.length <= MAX_KEY_VALUE_CHARS ? value : `#${createHash("sha256").update(value).digest("base64url")}`;
}

/**
 * The counter key a request falls in, per the policy's `key`: `consumer`
 * (the declared consumer, else the authenticated identity, else the client
 * address), `ip` (honouring trustProxy), `route`, `global`,
 * `header:<name>`, `claim:<name>` (`-` when absent). A client address
 * counts as its IPv4 address or its IPv6 /64 (`clientSubnet`); a value
 * longer than `MAX_KEY_VALUE_CHARS` counts as its SHA-256.
 */
export function keyValue(p: RuntimePolicy, ctx: KeyedRequest, routeName: string): string {
  const kind = p.policy.key;
  switch (kind) {
    case "consumer": {
      const who = ctx.consumer?.name ?? ctx.identity?.subject;
      return who === undefined ? `ip:${clientSubnet(ctx.clientIp)}` : `c:${bounded(who)}`;
    }
    case "ip":
      return `ip:${clientSubnet(ctx.clientIp)}`;
    case "route":
      return `r:${routeName}`;
    case "global":
      return "g";
    default:
      if (kind.startsWith("header:")) return `h:${bounded(headerOf(ctx, kind.slice(7).toLowerCase()))}`;
      if (kind.startsWith("claim:")) {
        const v = ctx.identity?.claims[kind.slice(6)];
        return `cl:${v === undefined ? "-" : bounded(String(v))}`;
      }
      return "g";
  }
}
