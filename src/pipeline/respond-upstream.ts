import type { CompiledRoute } from "../compile/route.js";
import type { RequestResources } from "./types.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import { UsageTap } from "../usage/extract.js";
import { SseOverflowError, sseData } from "../ai/sse.js";
import type { Done, RequestContext } from "./types.js";
import type { HeaderRules } from "../config/types.js";
import { applyHeaderRules, endToEnd } from "./headers.js";
import { relayBodyThen } from "./relay.js";
import { pendingOf } from "./metering.js";
import { addGatewayHeaders } from "./gateway-headers.js";
import { recordFirstToken } from "./first-token.js";

/** The gateway's own headers: an upstream's are never passed on. */
const GATEWAY_HEADERS = ["x-aigw-route", "x-aigw-upstream"];

/**
 * How an upstream's answer headers are copied on one route, worked out once
 * per snapshot: the names left out of the copy (`drop`; `dropWhole` for a
 * whole JSON answer the gateway sends again, without the upstream's length
 * and encoding). Besides the gateway's own headers, those a removal would
 * take out again anyway: a route `remove` rule (the rules still run whole,
 * so a name the same rule sets is removed after, as before), and what a
 * response plugin removes from every answer when no plugin before it reads
 * the name (the `remove` of `response-headers`, see `foldableStrips`).
 * Leaving them out costs nothing; removing them later copies the map.
 * `rules`: the route's response rules to apply to such a copy, their
 * `remove` kept only for names the same rule sets or adds (the rest is not
 * there to remove).
 */
export interface ResponseCopy {
  readonly drop: ReadonlySet<string>;
  readonly dropWhole: ReadonlySet<string>;
  readonly rules: HeaderRules | null;
}

export function responseCopy(route: CompiledRoute, strips: readonly string[]): ResponseCopy {
  const rules = route.responseHeaders;
  const removed = (rules?.remove ?? []).map((name) => name.toLowerCase());
  const drop = new Set([...GATEWAY_HEADERS, ...removed, ...strips]);
  return { drop, dropWhole: new Set([...drop, "content-length", "content-encoding"]), rules: rules === null ? null : afterCopy(rules) };
}

function afterCopy(rules: HeaderRules): HeaderRules {
  const written = new Set([...Object.keys(rules.set ?? {}), ...Object.keys(rules.add ?? {})].map((name) => name.toLowerCase()));
  const remove = (rules.remove ?? []).filter((name) => written.has(name.toLowerCase()));
  return { ...rules, remove: remove.length > 0 ? remove : undefined };
}

/**
 * Sends an upstream's answer to the client: end-to-end headers, the route's
 * response rules, the gateway's own headers, then the body streamed with
 * backpressure (usage captured on the way when a stage asked for it).
 * `done` is called once: with nothing when the answer went out (or a
 * response plugin answered instead, or an event over the limit was cut
 * off with an error the client can read), with the error when it was cut.
 */
export function relayResponse(ctx: RequestContext, response: UpstreamResponse, route: CompiledRoute, resources: RequestResources, copy: ResponseCopy, done: Done): void {
  const headers = applyHeaderRules(endToEnd(response.headers, copy.drop), copy.rules);
  addGatewayHeaders(ctx, headers);
  const sent = ctx.plugins === null ? headers : ctx.plugins.respond(response.status, headers, response.body);
  if (sent === null) {
    done();
    return;
  }
  ctx.status = response.status;
  ctx.res.writeHead(response.status, sent);
  const contentType = String(sent["content-type"] ?? "");
  const streaming = contentType.startsWith("text/event-stream");
  if (streaming) resources.metrics.activeStreams.inc();
  const meter = ctx.meter;
  const tap = meter !== null && response.status < 300 ? new UsageTap(contentType) : null;
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
  // Before the client sees the end: settle, so its next request (to any replica) already counts this one.
  const beforeEnd =
    meter === null
      ? undefined
      : () => {
          meter.report(tap === null ? null : tap.finish());
          return pendingOf(meter.settle(ctx, response.status < 400 ? "complete" : "error"));
        };
  relayBodyThen(response.body, ctx.res, { onChunk, beforeEnd, lastWords: streaming ? abandonStream : undefined }, (err, bytes) => {
    ctx.bytesOut += bytes;
    if (streaming) resources.metrics.activeStreams.dec();
    if (err === undefined) {
      done();
      return;
    }
    // Cut on the way (client gone, upstream reset, an event over the limit): what was seen is charged, or the estimate.
    try {
      meter?.report(tap === null ? null : tap.finish());
      meter?.end(ctx, "cut");
    } catch (failure) {
      done(failure);
      return;
    }
    if (SseOverflowError.is(err)) {
      resources.logger.warn({ requestId: ctx.id, upstream: ctx.upstream, err: err.message }, "upstream stream abandoned");
      resources.metrics.recordStreamAbandoned(ctx.upstream ?? "-", err.code);
      done();
      return;
    }
    done(err);
  });
}

/** The last event of a relayed stream that had to be abandoned: an error the client can read. */
function abandonStream(err: unknown): Buffer | null {
  if (!SseOverflowError.is(err)) return null;
  // Blank lines first: whatever part of an event went out before is ended, not glued to this one.
  return Buffer.concat([Buffer.from("\n\n"), sseData({ error: { message: "the upstream stream could not be relayed further", type: "server_error", param: null, code: err.code } })]);
}
