import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { normalizeHost } from "../compile/router/host.js";
import type { MatchRequest } from "../compile/route.js";
import { HttpError } from "../errors/http.js";
import type { ServingGeneration } from "./types.js";
import { readModelBody } from "./body.js";
import { clip } from "../errors/clip.js";
import type { RequestContext } from "./types.js";
import { firstValue } from "./headers.js";
import { sendError, toHttpError } from "./respond.js";
import { Cancel } from "../lifecycle/cancel.js";
import { preflightRoute } from "../plugins/preflight.js";

const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;

/** Called once per request when it has ended (access log, metrics). */
export type OnComplete = (ctx: RequestContext) => void;

function requestId(req: IncomingMessage): string {
  const sent = firstValue(req.headers["x-request-id"]);
  return sent !== undefined && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/**
 * The data plane's entry: normalise the path, pick the route (reading the
 * body first only when a candidate matches on `model`), run the route's
 * chain, and turn any failure into an error response. Never throws.
 */
export async function handleRequest(generation: ServingGeneration, req: IncomingMessage, res: ServerResponse, scheme: "http" | "https", onComplete: OnComplete): Promise<void> {
  const resources = generation.resources;
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const forwarded = resources.trusts(req.socket.remoteAddress ?? "") ? firstValue(req.headers["x-forwarded-for"]) : undefined;
  const ctx: RequestContext = {
    id: requestId(req),
    req,
    res,
    startedAt: resources.clock.monotonic(),
    generation,
    clientIp: resources.clientIp(req.socket.remoteAddress ?? "", forwarded),
    scheme,
    path: q === -1 ? rawUrl : rawUrl.slice(0, q),
    query: q === -1 ? "" : rawUrl.slice(q),
    host: normalizeHost(req.headers.host ?? firstValue(req.headers[":authority"])),
    route: null,
    aiShape: false,
    body: null,
    json: null,
    model: undefined,
    identity: null,
    consumer: null,
    upstream: null,
    target: null,
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    errorCode: null,
    extraHeaders: null,
    meter: null,
    usage: null,
    responseModel: undefined,
    costUsd: null,
    cache: null,
    cacheKey: null,
    plugins: null,
    trace: null,
    upstreamMs: 0,
    cancel: new Cancel(),
  };
  if (resources.tracing !== null) {
    ctx.trace = resources.tracing.startRequest(req.headers, () => ({
      "http.request.method": req.method,
      "url.path": ctx.path,
      "url.scheme": scheme,
      "server.address": ctx.host,
      "client.address": ctx.clientIp,
      "network.protocol.version": req.httpVersion,
      "aigw.request_id": ctx.id,
    }));
  }
  generation.enter();
  // The request is complete when the client's response has closed and the
  // chain has settled, whichever comes last: a relay resolves after the
  // response's 'close' (its byte count and the upstream attempt's time are
  // recorded then), and the access line must see them.
  let closed = false;
  let settled = false;
  const complete = (): void => {
    generation.leave();
    onComplete(ctx);
  };
  res.once("close", () => {
    closed = true;
    if (!res.writableFinished) {
      // The client left (or the response was cut): cancel the upstream request.
      ctx.cancel.abort();
      if (!res.headersSent) ctx.status = 499;
    }
    if (settled) complete();
  });

  try {
    const snapshot = generation.snapshot;
    // The path that is matched is the path that is forwarded.
    const normalized = snapshot.router.normalize(ctx.path);
    if (!normalized.ok) throw new HttpError("invalid_path", normalized.reason);
    ctx.path = normalized.path;
    const candidates = snapshot.router.candidates(ctx.path);
    ctx.aiShape = candidates.routes.some((r) => r.ai);
    const builtin = generation.builtins.for(req.method ?? "GET", ctx.path);
    if (builtin !== null && !candidates.routes.some((r) => r.pathKind === "exact")) {
      ctx.route = builtin;
      await builtin.handle(ctx);
      return;
    }
    if (candidates.needsModel) await readModelBody(ctx, resources.maxBodyBytes);
    const match: MatchRequest = {
      method: req.method ?? "GET",
      path: ctx.path,
      host: ctx.host,
      header: (name) => firstValue(req.headers[name]),
      model: ctx.model,
    };
    // A CORS preflight is routed as the request it announces when a cors plugin is there to answer it.
    const compiled = snapshot.router.select(candidates, match) ?? preflightRoute(candidates, match, req, snapshot.config.gateway.plugins);
    if (compiled === null) {
      if (candidates.needsModel && ctx.model !== undefined) throw new HttpError("model_not_found", `no route serves model ${JSON.stringify(ctx.model)} at ${clip(ctx.path)}`);
      throw new HttpError("route_not_found", `no route for ${clip(req.method ?? "GET", 16)} ${clip(ctx.path)}`);
    }
    const route = generation.routes[compiled.index]!;
    ctx.route = route;
    ctx.aiShape = compiled.ai;
    await route.handle(ctx);
  } catch (err) {
    const httpError = toHttpError(err);
    if (httpError.code === "internal_error") resources.logger.error({ err, requestId: ctx.id }, "request failed inside the gateway");
    sendError(ctx, httpError);
  } finally {
    // Whichever way the request ended, what it used upstream is charged once.
    if (ctx.meter !== null) await ctx.meter.settle(ctx);
    settled = true;
    if (closed) complete();
  }
}
