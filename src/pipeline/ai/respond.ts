import type { CompiledRoute } from "../../compile/route.js";
import type { RequestResources } from "../types.js";
import type { StreamTranslator } from "../../ai/types.js";
import type { RequestContext } from "../types.js";
import { recordFirstToken } from "../first-token.js";
import { applyHeaderRules, type HeaderMap } from "../headers.js";
import type { UpstreamResponse } from "../../upstream/exchange.js";
import { sseData } from "../../ai/sse.js";
import { endExchange, settleNow } from "../metering.js";

/** The in-band error event that ends a stream the gateway had to abandon. */
function streamError(err: unknown): Buffer {
  const code = (err as { code?: string }).code ?? "stream_error";
  return sseData({ error: { message: "the upstream stream could not be relayed further", type: "server_error", param: null, code } });
}

/**
 * The gateway's headers on an AI answer (ids, route, upstream, cache,
 * limits, cost) and the route's response rules, added to `base`: a map
 * the caller made for this answer and hands over (it is not copied again).
 */
export function aiHeaders(ctx: RequestContext, route: CompiledRoute, base: HeaderMap): HeaderMap {
  const headers = applyHeaderRules(base, route.responseHeaders);
  headers["x-request-id"] = ctx.id;
  headers["x-aigw-route"] = route.name;
  if (ctx.upstream !== null) headers["x-aigw-upstream"] = ctx.upstream;
  headers["x-aigw-cache"] = ctx.cache ?? "miss";
  if (ctx.extraHeaders !== null) Object.assign(headers, ctx.extraHeaders);
  if (ctx.generation.draining && ctx.req.httpVersionMajor === 1) headers.connection = "close";
  return headers;
}

/** `x-aigw-cost-usd` as a string (enough digits for a fraction of a cent). */
export function costHeader(cost: number | null): string | undefined {
  return cost === null ? undefined : cost.toFixed(8).replace(/0+$/, "").replace(/\.$/, ".0");
}

/**
 * Sends a whole JSON answer. A successful answer settles the request's
 * usage first (metering, token limits), so `x-aigw-cost-usd` is exact and
 * the next request, on any replica, already sees this one.
 */
export async function sendJson(ctx: RequestContext, route: CompiledRoute, status: number, base: HeaderMap, body: Buffer): Promise<void> {
  if (status < 300) await settleNow(ctx, "complete");
  const headers = aiHeaders(ctx, route, base);
  headers["content-type"] = "application/json";
  headers["content-length"] = String(body.length);
  const cost = costHeader(ctx.costUsd);
  if (cost !== undefined) headers["x-aigw-cost-usd"] = cost;
  const sent = ctx.plugins === null ? headers : ctx.plugins.respond(status, headers);
  if (sent === null) return;
  ctx.status = status;
  ctx.res.writeHead(status, sent);
  ctx.res.end(body);
  ctx.bytesOut += body.length;
}

/**
 * Streams an SSE answer through a translator, chunk by chunk, with
 * backpressure. At the end: the translator's last events, the usage hooks,
 * then `x-aigw-cost-usd` as a trailer (a stream's cost is known only then).
 * Resolves with whether the stream failed (in-band error or cut).
 */
export function streamThrough(
  ctx: RequestContext,
  route: CompiledRoute,
  resources: RequestResources,
  response: UpstreamResponse,
  translator: StreamTranslator,
  onOutput?: (bytes: Buffer) => void,
): Promise<boolean> {
  const res = ctx.res;
  let headers = aiHeaders(ctx, route, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  if (ctx.req.httpVersionMajor === 1) headers.trailer = "x-aigw-cost-usd";
  if (ctx.plugins !== null) {
    // Plugins: response hooks, and the guards (response-guard) scan what the translator emits.
    const edited = ctx.plugins.respond(response.status, headers, response.body);
    if (edited === null) return Promise.resolve(false);
    headers = edited;
    translator = ctx.plugins.guardStream(translator);
  }
  ctx.status = response.status;
  res.writeHead(response.status, headers);
  resources.metrics.activeStreams.inc();
  const source = response.body;
  // What one upstream chunk turned into goes out in one write (one chunk on
  // the wire), not one write per event: far fewer syscalls per stream.
  let first = true;
  const write = (bytes: Buffer[]): boolean => {
    if (bytes.length === 0) return true;
    if (first) {
      first = false;
      recordFirstToken(ctx, resources);
    }
    const out = bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
    ctx.bytesOut += out.length;
    onOutput?.(out);
    return res.write(out);
  };
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown, failed = translator.failed()): void => {
      if (settled) return;
      settled = true;
      resources.metrics.activeStreams.dec();
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      res.off("drain", onDrain);
      res.off("close", onClose);
      if (err === undefined) resolve(failed);
      else reject(err);
    };
    /** The upstream's stream cannot go on (an event over the size limit): say so in-band, cut the upstream, end. */
    const abandon = (err: unknown): void => {
      resources.logger.warn({ requestId: ctx.id, upstream: ctx.upstream, err: (err as Error).message }, "upstream stream abandoned");
      resources.metrics.recordStreamAbandoned(ctx.upstream ?? "-", (err as { code?: string }).code ?? "error");
      stopSource();
      ctx.meter?.report(translator.usage());
      endExchange(ctx, "cut");
      write([streamError(err)]);
      res.end();
      finish(undefined, true);
    };
    const stopSource = (): void => {
      source.off("data", onData);
      source.off("error", onError);
      source.on("error", () => undefined);
      source.destroy();
    };
    const onData = (chunk: Buffer): void => {
      let out: Buffer[];
      try {
        out = translator.push(chunk);
      } catch (err) {
        abandon(err);
        return;
      }
      if (!write(out)) source.pause();
      if (translator.halted?.() === true) {
        // A guard ended the stream: no more input, the upstream request is cut.
        stopSource();
        onEnd();
      }
    };
    const onDrain = (): void => {
      source.resume();
    };
    const onEnd = (): void => {
      const tail = translator.end();
      ctx.meter?.report(translator.usage());
      // Every end is settled: a stream that failed in-band or a guard stopped was cut.
      const cut = translator.failed() || translator.halted?.() === true;
      settleNow(ctx, cut ? "cut" : "complete").then(
        () => {
          write(tail);
          const cost = costHeader(ctx.costUsd);
          if (cost !== undefined && ctx.req.httpVersionMajor === 1) res.addTrailers({ "x-aigw-cost-usd": cost });
          res.end();
          finish();
        },
        (err: unknown) => {
          write(tail);
          res.end();
          finish(err);
        },
      );
    };
    const onError = (): void => {
      // The upstream broke off: say so in-band (never a clean [DONE]), then end.
      ctx.meter?.report(translator.usage());
      endExchange(ctx, "cut");
      write(translator.end());
      res.end();
      finish();
    };
    const onClose = (): void => {
      if (!res.writableFinished) {
        ctx.meter?.report(translator.usage());
        endExchange(ctx, "cut");
        source.destroy();
        finish(new Error("the client closed the connection"));
      }
    };
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
    res.on("drain", onDrain);
    res.once("close", onClose);
  });
}
