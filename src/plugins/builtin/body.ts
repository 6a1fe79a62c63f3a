import { HttpError } from "../../errors/http.js";
import { hasBody, parseJsonBody, readBody } from "../../pipeline/body.js";
import type { RequestContext } from "../../pipeline/types.js";

function tooLarge(limit: number): HttpError {
  return new HttpError("payload_too_large", `the request body is larger than ${limit} bytes`);
}

/**
 * The request body, read whole now (at most `limit` bytes, 413 beyond) and
 * kept in `ctx.body`, so the upstream gets it from there; parsed on AI
 * routes, as the stages after expect. Null when the request has no body.
 */
export async function bufferBody(ctx: RequestContext, limit: number): Promise<Buffer | null> {
  if (ctx.body !== null) {
    if (ctx.body.length > limit) throw tooLarge(limit);
    return ctx.body;
  }
  if (!hasBody(ctx.req)) return null;
  const body = await readBody(ctx.req, limit);
  ctx.body = body;
  ctx.bytesIn = body.length;
  if (ctx.route?.compiled.ai === true) {
    ctx.json = parseJsonBody(body);
    const model = ctx.json?.model;
    if (typeof model === "string") ctx.model = model;
  }
  return body;
}

/**
 * 413 when the body is over `limit`: from Content-Length when the request
 * declares one (the body then still streams; Node holds the client to the
 * declared length); a body of unknown length is read now, bounded.
 */
export function checkBodySize(ctx: RequestContext, limit: number): void | Promise<void> {
  if (ctx.body !== null) {
    if (ctx.body.length > limit) throw tooLarge(limit);
    return;
  }
  const length = ctx.req.headers["content-length"];
  if (length !== undefined) {
    if (Number(length) > limit) throw tooLarge(limit);
    return;
  }
  if (!hasBody(ctx.req)) return;
  return bufferBody(ctx, limit).then(() => undefined);
}
