import type { CompiledRoute } from "../../compile/route.js";
import type { RequestResources } from "../types.js";
import type { StreamTranslator } from "../../ai/types.js";
import type { Done, RequestContext } from "../types.js";
import { recordFirstToken } from "../first-token.js";
import { applyHeaderRules, type HeaderMap } from "../headers.js";
import type { UpstreamResponse } from "../../upstream/exchange.js";
import type { BodySink, UpstreamBody } from "../../upstream/body.js";
import { sseData } from "../../ai/sse.js";
import { endExchange, pendingOf, settleNow } from "../metering.js";
import { addGatewayHeaders } from "../gateway-headers.js";
import { DrainWait } from "../drain.js";
import { toHttpError } from "../respond.js";

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
  const headers = addGatewayHeaders(ctx, applyHeaderRules(base, route.responseHeaders));
  headers["x-aigw-cache"] = ctx.cache ?? "miss";
  return headers;
}

/** `x-aigw-cost-usd` as a string (enough digits for a fraction of a cent). */
export function costHeader(cost: number | null): string | undefined {
  if (cost === null) return undefined;
  if (cost === 0) return "0.0";
  // Eight decimals, trailing zeros trimmed, one kept after the point.
  const fixed = cost.toFixed(8);
  let end = fixed.length;
  while (end > 0 && fixed.charCodeAt(end - 1) === 0x30) end--;
  if (fixed.charCodeAt(end - 1) === 0x2e) end++;
  return end === fixed.length ? fixed : fixed.slice(0, end);
}

/**
 * Sends a whole JSON answer. A successful answer settles the request's
 * usage first (metering, token limits), so `x-aigw-cost-usd` is exact and
 * the next request, on any replica, already sees this one.
 */
export async function sendJson(ctx: RequestContext, route: CompiledRoute, status: number, base: HeaderMap, body: Buffer): Promise<void> {
  if (status < 300) await settleNow(ctx, "complete");
  writeJson(ctx, route, status, base, body);
}

/** `sendJson` with a callback: no promise when the settlement has nothing to wait for (usage kept in memory). */
export function sendJsonThen(ctx: RequestContext, route: CompiledRoute, status: number, base: HeaderMap, body: Buffer, done: Done): void {
  const settling = status < 300 ? pendingOf(settleNow(ctx, "complete")) : undefined;
  if (settling === undefined) {
    writeJson(ctx, route, status, base, body);
    done();
    return;
  }
  settling.then(() => writeJson(ctx, route, status, base, body)).then(
    () => done(),
    // The settlement never fails: what does is writing the answer, the gateway's doing.
    (err: unknown) => done(toHttpError(err)),
  );
}

function writeJson(ctx: RequestContext, route: CompiledRoute, status: number, base: HeaderMap, body: Buffer): void {
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

/** How a streamed answer's relay ended: the error, or whether the stream failed (in-band error or cut). */
export type StreamDone = (err: unknown, failed: boolean) => void;

/**
 * Streams an SSE answer through a translator, chunk by chunk, with
 * backpressure. At the end: the translator's last events, the usage hooks,
 * then `x-aigw-cost-usd` as a trailer (a stream's cost is known only then).
 * Calls `done` once, with whether the stream failed (in-band error or cut);
 * a stream metered in memory takes no promise.
 */
export function streamThroughThen(
  ctx: RequestContext,
  route: CompiledRoute,
  resources: RequestResources,
  response: UpstreamResponse,
  translator: StreamTranslator,
  onOutput: ((bytes: Buffer) => void) | undefined,
  done: StreamDone,
): void {
  let headers = aiHeaders(ctx, route, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  if (ctx.req.httpVersionMajor === 1) headers.trailer = "x-aigw-cost-usd";
  if (ctx.plugins !== null) {
    // Plugins: response hooks, and the guards (response-guard) scan what the translator emits.
    const edited = ctx.plugins.respond(response.status, headers, response.body);
    if (edited === null) {
      done(undefined, false);
      return;
    }
    headers = edited;
    translator = ctx.plugins.guardStream(translator);
  }
  ctx.status = response.status;
  ctx.res.writeHead(response.status, headers);
  resources.metrics.activeStreams.inc();
  response.body.start(new StreamRelay(ctx, resources, response.body, translator, onOutput, done));
}

/** `streamThroughThen` as a promise of whether the stream failed (for relays off the hot path). */
export function streamThrough(
  ctx: RequestContext,
  route: CompiledRoute,
  resources: RequestResources,
  response: UpstreamResponse,
  translator: StreamTranslator,
  onOutput?: (bytes: Buffer) => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    try {
      streamThroughThen(ctx, route, resources, response, translator, onOutput, (err, failed) => (err === undefined ? resolve(failed) : reject(err)));
    } catch (err) {
      // Thrown before the stream started (a hook's header Node refuses): the gateway's failure, not the upstream's.
      reject(toHttpError(err));
    }
  });
}

/**
 * One translated SSE stream from an upstream to a client, with
 * backpressure: what one upstream chunk turned into goes out in one write
 * (one chunk on the wire), not one write per event. Every way it can end
 * (the upstream's end, an in-band error, a guard's halt, the upstream
 * breaking off, the client leaving, an event over the size limit) is one
 * method, and each reports the usage seen to the request's meter. A client
 * that leaves cancels the request, which fails the body (`onError`).
 */
class StreamRelay implements BodySink {
  private settled = false;
  private first = true;
  /** Made the first time the client's socket is full. */
  private drain: DrainWait | null = null;

  constructor(
    private readonly ctx: RequestContext,
    private readonly resources: RequestResources,
    private readonly body: UpstreamBody,
    private readonly translator: StreamTranslator,
    private readonly onOutput: ((bytes: Buffer) => void) | undefined,
    private readonly done: StreamDone,
  ) {}

  private write(bytes: Buffer[]): boolean {
    if (bytes.length === 0) return true;
    if (this.first) {
      this.first = false;
      recordFirstToken(this.ctx, this.resources);
    }
    const out = bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
    this.ctx.bytesOut += out.length;
    this.onOutput?.(out);
    return this.ctx.res.write(out);
  }

  private finish(err?: unknown, failed = this.translator.failed()): void {
    if (this.settled) return;
    this.settled = true;
    this.resources.metrics.activeStreams.dec();
    this.drain?.stop();
    this.done(err, failed);
  }

  /** The exchange was cut: what the stream reported so far is what the meter gets (plus its estimate). */
  private cut(): void {
    this.ctx.meter?.report(this.translator.usage());
    endExchange(this.ctx, "cut");
  }

  /** The upstream's stream cannot go on (an event over the size limit): say so in-band, cut the upstream, end. */
  private abandon(err: unknown): void {
    const { ctx, resources } = this;
    resources.logger.warn({ requestId: ctx.id, upstream: ctx.upstream, err: (err as Error).message }, "upstream stream abandoned");
    resources.metrics.recordStreamAbandoned(ctx.upstream ?? "-", (err as { code?: string }).code ?? "error");
    this.body.destroy();
    this.cut();
    this.write([streamError(err)]);
    ctx.res.end();
    this.finish(undefined, true);
  }

  onData(chunk: Buffer): boolean {
    let out: Buffer[];
    try {
      out = this.translator.push(chunk);
    } catch (err) {
      this.abandon(err);
      return false;
    }
    let more: boolean;
    try {
      more = this.write(out);
      if (this.translator.halted?.() === true) {
        // A guard ended the stream: no more input, the upstream request is cut.
        this.body.destroy();
        this.onEnd();
        return false;
      }
    } catch (err) {
      this.broken(err);
      return false;
    }
    if (!more) (this.drain ??= new DrainWait(this.ctx.res, () => this.body.resume(), () => this.clientGone())).start();
    return more;
  }

  /**
   * The gateway failed while relaying (writing to the client, a hook on the
   * output): the upstream is cut, the client's response is cut (its head is
   * out), and the relay ends with the gateway's error. Nothing throws back
   * into the upstream body's callbacks.
   */
  private broken(err: unknown): void {
    this.body.destroy();
    this.cut();
    this.ctx.res.destroy();
    this.finish(toHttpError(err));
  }

  /** The client's connection closed while its socket was full: the upstream is cut, the relay fails. */
  private clientGone(): void {
    this.body.destroy();
    this.cut();
    this.finish(new Error("the client closed the connection"));
  }

  /** The end: the translator's last events after the settlement, then `x-aigw-cost-usd` as a trailer. */
  onEnd(): void {
    const { ctx, translator } = this;
    let tail: Buffer[];
    let settling: Promise<void> | undefined;
    try {
      tail = translator.end();
      ctx.meter?.report(translator.usage());
      // Every end is settled: a stream that failed in-band or a guard stopped was cut.
      const cut = translator.failed() || translator.halted?.() === true;
      settling = pendingOf(settleNow(ctx, cut ? "cut" : "complete"));
    } catch (err) {
      // Whatever failed here, the relay still ends (never left waiting).
      ctx.res.destroy();
      this.finish(err);
      return;
    }
    if (settling === undefined) this.close(tail);
    else settling.then(() => this.close(tail), (err: unknown) => this.close(tail, err));
  }

  /** Writes the last events and the cost trailer (unless the settlement failed), and ends the response. */
  private close(tail: Buffer[], err?: unknown): void {
    const { ctx } = this;
    try {
      this.write(tail);
      const cost = err === undefined ? costHeader(ctx.costUsd) : undefined;
      if (cost !== undefined && ctx.req.httpVersionMajor === 1) ctx.res.addTrailers({ "x-aigw-cost-usd": cost });
      ctx.res.end();
    } catch (failure) {
      this.broken(failure);
      return;
    }
    this.finish(err);
  }

  /**
   * The body failed. The client left (the request was cancelled without a
   * gateway reason): the relay fails with it. Otherwise the upstream broke
   * off or timed out: say so in-band (never a clean [DONE]), then end.
   */
  onError(err: Error): void {
    const { ctx } = this;
    this.cut();
    if (ctx.cancel.aborted && ctx.cancel.reason === undefined) {
      this.finish(err);
      return;
    }
    try {
      this.write(this.translator.end());
      ctx.res.end();
    } catch (failure) {
      this.broken(failure);
      return;
    }
    this.finish();
  }
}
