import { errorBody, HttpError } from "../errors/http.js";
import type { RequestContext } from "./types.js";
import { addGatewayHeaders } from "./gateway-headers.js";

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
  const headers = addGatewayHeaders(ctx, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
  if (err.headers !== undefined) Object.assign(headers, err.headers);
  res.writeHead(err.status, headers);
  res.end(body);
  ctx.bytesOut += Buffer.byteLength(body);
}
