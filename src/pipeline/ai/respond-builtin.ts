import type { RequestContext } from "../types.js";
import { addGatewayHeaders } from "../gateway-headers.js";

/** A JSON answer from the gateway itself (no upstream), through the response hooks of the gateway's plugins. */
export async function sendJson(ctx: RequestContext, status: number, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value));
  const headers = addGatewayHeaders(ctx, { "content-type": "application/json", "content-length": String(body.length) });
  const sent = ctx.plugins === null ? headers : ctx.plugins.respond(status, headers);
  if (sent === null) return;
  ctx.status = status;
  ctx.res.writeHead(status, sent);
  ctx.res.end(body);
  ctx.bytesOut += body.length;
}
