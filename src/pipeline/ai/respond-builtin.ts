import type { RequestContext } from "../context.js";

/** A JSON answer from the gateway itself (no route, no upstream). */
export async function sendJson(ctx: RequestContext, status: number, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value));
  ctx.status = status;
  ctx.res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length), "x-request-id": ctx.id });
  ctx.res.end(body);
  ctx.bytesOut += body.length;
}
