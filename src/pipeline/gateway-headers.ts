import type { HeaderMap } from "./headers.js";
import type { RequestContext } from "./types.js";

/**
 * The gateway's own headers on every answer it sends, upstream's or its own
 * (DESIGN.md 5): `x-request-id`, `x-aigw-route`, `x-aigw-upstream`, the
 * stages' headers (rate-limit state), and `connection: close` on HTTP/1.1
 * while draining. Added here and nowhere else, so no answer misses one.
 */
export function addGatewayHeaders(ctx: RequestContext, headers: HeaderMap): HeaderMap {
  headers["x-request-id"] = ctx.id;
  if (ctx.route !== null) headers["x-aigw-route"] = ctx.route.compiled.name;
  if (ctx.upstream !== null) headers["x-aigw-upstream"] = ctx.upstream;
  if (ctx.extraHeaders !== null) Object.assign(headers, ctx.extraHeaders);
  if (ctx.generation.draining && ctx.req.httpVersionMajor === 1) headers.connection = "close";
  return headers;
}
