import type { Upstream } from "../config/types.js";
import type { GenerationResources } from "../reload/generation.js";
import type { RequestContext } from "./context.js";
import { applyHeaderRules, endToEnd, firstValue, type HeaderMap } from "./headers.js";
import type { CompiledRoute } from "../compile/route.js";

const DROP_REQUEST = ["host", "content-length", "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"];

/** Request headers never forwarded on a route: per-hop ones, and on routes with auth the client's credentials. */
export function dropSet(route: CompiledRoute, resources: GenerationResources): ReadonlySet<string> {
  return new Set([...DROP_REQUEST, ...route.auth.flatMap((name) => resources.authenticators.get(name)?.credentialHeaders ?? [])]);
}

/** Credentials of the upstream replace whatever the client sent. */
function injectCredentials(headers: HeaderMap, upstream: Upstream): void {
  const key = upstream.credentials?.apiKey;
  if (key !== undefined) {
    if (upstream.credentials?.header !== undefined) {
      delete headers.authorization;
      headers[upstream.credentials.header.toLowerCase()] = key;
    } else if (upstream.type === "anthropic") {
      delete headers.authorization;
      headers["x-api-key"] = key;
    } else {
      delete headers["x-api-key"];
      headers.authorization = `Bearer ${key}`;
    }
  }
  if (upstream.type === "anthropic" && headers["anthropic-version"] === undefined) {
    headers["anthropic-version"] = upstream.anthropicVersion ?? "2023-06-01";
  }
}

/**
 * The headers sent upstream: end-to-end client headers (minus `drop`),
 * `x-forwarded-*` per trustProxy, the request id, the route's header
 * rules, the upstream's credentials, and the consumer header when the
 * upstream asks for one (a client-sent value is always replaced).
 */
export function upstreamHeaders(ctx: RequestContext, route: CompiledRoute, resources: GenerationResources, drop: ReadonlySet<string>, def: Upstream): HeaderMap {
  const req = ctx.req;
  let headers = endToEnd(req.headers, drop);
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
  headers = applyHeaderRules(headers, route.requestHeaders);
  injectCredentials(headers, def);
  if (def.consumerHeader !== undefined) {
    const name = def.consumerHeader.toLowerCase();
    delete headers[name];
    const who = ctx.consumer?.name ?? ctx.identity?.subject;
    if (who !== undefined) headers[name] = who;
  }
  return headers;
}
