import type { Upstream } from "../config/types.js";
import type { RequestResources } from "./types.js";
import type { RequestContext } from "./types.js";
import { applyHeaderRules, endToEnd, firstValue, withoutHeaders, type HeaderMap } from "./headers.js";
import type { CompiledRoute } from "../compile/route.js";

const DROP_REQUEST = ["host", "content-length", "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"];

/** Request headers never forwarded on a route: per-hop ones, and on routes with auth the client's credentials. */
export function dropSet(route: CompiledRoute, resources: RequestResources): ReadonlySet<string> {
  return new Set([...DROP_REQUEST, ...route.auth.flatMap((name) => resources.authenticators.get(name)?.credentialHeaders ?? [])]);
}

/**
 * How requests are forwarded to one upstream on one route, worked out once
 * per snapshot: the client headers left out of the copy (`drop`), and among
 * them those the upstream side owns (`owned`: the credential header its own
 * key replaces, its consumer header, and any the dialect names), which are
 * removed again if a route rule set them.
 */
export interface Forwarding {
  readonly def: Upstream;
  readonly drop: ReadonlySet<string>;
  readonly owned: ReadonlySet<string>;
  /** The upstream's credential header and value (`Bearer <key>` made once), or null. */
  readonly credential: readonly [name: string, value: string] | null;
}

export function forwarding(drop: ReadonlySet<string>, def: Upstream, extra: readonly string[] = []): Forwarding {
  const owned = new Set(extra);
  if (def.credentials?.apiKey !== undefined) {
    if (def.credentials.header !== undefined || def.type === "anthropic") owned.add("authorization");
    else owned.add("x-api-key");
  }
  if (def.consumerHeader !== undefined) owned.add(def.consumerHeader.toLowerCase());
  return { def, drop: new Set([...drop, ...owned]), owned, credential: credentialOf(def) };
}

/** Where the upstream's key goes: its own header, `x-api-key` (Anthropic), else `Authorization: Bearer`. */
function credentialOf(upstream: Upstream): readonly [string, string] | null {
  const key = upstream.credentials?.apiKey;
  if (key === undefined) return null;
  if (upstream.credentials?.header !== undefined) return [upstream.credentials.header.toLowerCase(), key];
  if (upstream.type === "anthropic") return ["x-api-key", key];
  return ["authorization", `Bearer ${key}`];
}

/** Credentials of the upstream replace whatever the client sent (the client's were not copied). */
function injectCredentials(headers: HeaderMap, forward: Forwarding): void {
  if (forward.credential !== null) headers[forward.credential[0]] = forward.credential[1];
  const upstream = forward.def;
  if (upstream.type === "anthropic" && headers["anthropic-version"] === undefined) {
    headers["anthropic-version"] = upstream.anthropicVersion ?? "2023-06-01";
  }
}

/**
 * The headers sent upstream: end-to-end client headers (minus the dropped
 * ones), `x-forwarded-*` per trustProxy, the request id, the route's header
 * rules, the upstream's credentials, and the consumer header when the
 * upstream asks for one (a client-sent value is always replaced). Nothing
 * is deleted from the map (`delete` makes it a slow dictionary-mode
 * object): what must not go is left out of the copy.
 */
export function upstreamHeaders(ctx: RequestContext, route: CompiledRoute, resources: RequestResources, forward: Forwarding): HeaderMap {
  const req = ctx.req;
  const def = forward.def;
  let headers = endToEnd(req.headers, forward.drop);
  const remote = req.socket.remoteAddress ?? "";
  const trusted = resources.trusts(remote);
  const xff = firstValue(req.headers["x-forwarded-for"]);
  headers["x-forwarded-for"] = trusted && xff !== undefined ? `${xff}, ${remote}` : remote;
  const proto = trusted ? firstValue(req.headers["x-forwarded-proto"]) : undefined;
  headers["x-forwarded-proto"] = proto ?? ctx.scheme;
  const fwdHost = trusted ? firstValue(req.headers["x-forwarded-host"]) : undefined;
  const host = fwdHost ?? req.headers.host ?? firstValue(req.headers[":authority"]);
  if (host !== undefined) headers["x-forwarded-host"] = host;
  headers["x-request-id"] = ctx.id;
  if (route.requestHeaders !== null) {
    headers = applyHeaderRules(headers, route.requestHeaders);
    // A rule may have set what the upstream side owns: it goes, as the client's did.
    for (const name of forward.owned) {
      if (headers[name] !== undefined) {
        headers = withoutHeaders(headers, forward.owned);
        break;
      }
    }
  }
  injectCredentials(headers, forward);
  if (def.consumerHeader !== undefined) {
    const who = ctx.consumer?.name ?? ctx.identity?.subject;
    if (who !== undefined) headers[def.consumerHeader.toLowerCase()] = who;
  }
  return headers;
}
