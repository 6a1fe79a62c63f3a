import type { CompiledRoute } from "../compile/route.js";
import type { GenerationResources } from "../reload/generation.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import { UsageTap } from "../usage/extract.js";
import type { RequestContext } from "./context.js";
import { applyHeaderRules, endToEnd } from "./headers.js";
import { relayBody } from "./relay.js";
import { recordFirstToken } from "./first-token.js";

const DROP_RESPONSE = new Set(["x-aigw-route", "x-aigw-upstream"]);

/**
 * Sends an upstream's answer to the client: end-to-end headers, the route's
 * response rules, the gateway's own headers, then the body streamed with
 * backpressure (usage captured on the way when a stage asked for it).
 */
export async function relayResponse(ctx: RequestContext, response: UpstreamResponse, route: CompiledRoute, resources: GenerationResources): Promise<void> {
  const headers = applyHeaderRules(endToEnd(response.headers, DROP_RESPONSE), route.responseHeaders);
  headers["x-request-id"] = ctx.id;
  headers["x-aigw-route"] = route.name;
  headers["x-aigw-upstream"] = ctx.upstream!;
  if (ctx.extraHeaders !== null) Object.assign(headers, ctx.extraHeaders);
  if (ctx.generation.draining && ctx.req.httpVersionMajor === 1) headers.connection = "close";
  const sent = ctx.plugins === null ? headers : ctx.plugins.respond(response.status, headers, response.body);
  if (sent === null) return;
  ctx.status = response.status;
  ctx.res.writeHead(response.status, sent);
  const contentType = String(sent["content-type"] ?? "");
  const streaming = contentType.startsWith("text/event-stream");
  if (streaming) resources.metrics.activeStreams.inc();
  const tap = ctx.captureUsage && response.status < 300 ? new UsageTap(contentType) : null;
  let first = streaming;
  const onChunk =
    tap === null && !streaming
      ? undefined
      : (chunk: Buffer): void => {
          if (first) {
            first = false;
            recordFirstToken(ctx, resources);
          }
          tap?.push(chunk);
        };
  try {
    const hook = ctx.beforeResponseEnd;
    const beforeEnd =
      tap === null && hook === null
        ? undefined
        : async () => {
            if (tap !== null) ctx.usage = tap.finish();
            if (hook !== null) await hook();
          };
    ctx.bytesOut += await relayBody(response.body, ctx.res, onChunk, beforeEnd);
  } finally {
    if (streaming) resources.metrics.activeStreams.dec();
  }
}
