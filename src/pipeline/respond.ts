import { errorBody, HttpError } from "../errors/http.js";
import type { RequestContext } from "./types.js";

/** Any failure as an HttpError (500 for what is not one; the message never carries a stack). */
export function toHttpError(err: unknown): HttpError {
  if (HttpError.is(err)) return err;
  return new HttpError("internal_error", "the gateway failed to handle the request", { cause: err });
}

/**
 * Answers with an error in the route's shape. When the response has
 * already started, the only honest signal left is to cut it.
 */
export function sendError(ctx: RequestContext, err: HttpError): void {
  ctx.errorCode = err.code;
  const res = ctx.res;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) {
    ctx.status = 499;
    return;
  }
  ctx.status = err.status;
  // Read (and drop) what is left of the request body, so a client still
  // uploading gets to read this answer instead of a reset connection.
  if (!ctx.req.readableEnded && err.status !== 413) {
    ctx.req.unpipe();
    ctx.req.resume();
  }
  const body = errorBody(err, ctx.aiShape);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-request-id": ctx.id,
    ...ctx.extraHeaders,
    ...err.headers,
  };
  if (ctx.route !== null) headers["x-aigw-route"] = ctx.route.compiled.name;
  if (ctx.upstream !== null) headers["x-aigw-upstream"] = ctx.upstream;
  res.writeHead(err.status, headers);
  res.end(body);
  ctx.bytesOut += Buffer.byteLength(body);
}
