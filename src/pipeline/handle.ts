import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { normalizeHost } from "../compile/router/host.js";
import type { MatchRequest } from "../compile/route.js";
import type { Candidates } from "../compile/router/router.js";
import { HttpError } from "../errors/http.js";
import type { ServingGeneration } from "./types.js";
import { readModelBodyThen } from "./body.js";
import { routeCandidates, selectRoute } from "./route-decision.js";
import type { Done, RequestContext } from "./types.js";
import { firstValue } from "./headers.js";
import { sendError, toHttpError } from "./respond.js";
import { Cancel } from "../lifecycle/cancel.js";
import { pendingOf } from "./metering.js";

const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;

/** Called once per request when it has ended (access log, metrics). */
export type OnComplete = (ctx: RequestContext) => void;

function requestId(req: IncomingMessage): string {
  const sent = firstValue(req.headers["x-request-id"]);
  return sent !== undefined && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** A new request's context, before routing. */
function newContext(generation: ServingGeneration, req: IncomingMessage, res: ServerResponse, scheme: "http" | "https"): RequestContext {
  const resources = generation.resources;
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const forwarded = resources.trusts(req.socket.remoteAddress ?? "") ? firstValue(req.headers["x-forwarded-for"]) : undefined;
  return {
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
    cancel: new Cancel(resources.logger),
  };
}

/** The request's server span, when tracing is on. */
function startTrace(ctx: RequestContext, scheme: "http" | "https"): void {
  const tracing = ctx.generation.resources.tracing;
  if (tracing === null) return;
  const req = ctx.req;
  ctx.trace = tracing.startRequest(req.headers, () => ({
    "http.request.method": req.method,
    "url.path": ctx.path,
    "url.scheme": scheme,
    "server.address": ctx.host,
    "client.address": ctx.clientIp,
    "network.protocol.version": req.httpVersion,
    "aigw.request_id": ctx.id,
  }));
}

/**
 * Routes the request with the one decision serve and explain share
 * (route-decision.ts) and runs the chain of the route it picked (or the
 * built-in endpoint's). The path matched is the path forwarded. May throw
 * before the chain starts; `done` is called once the chain has ended.
 */
function routeAndRun(ctx: RequestContext, done: Done): void {
  const { generation, req } = ctx;
  const method = req.method ?? "GET";
  const step = routeCandidates(generation.snapshot, method, ctx.path);
  if (step.kind === "invalid") throw new HttpError("invalid_path", step.reason);
  ctx.path = step.path;
  if (step.kind === "builtin") {
    ctx.aiShape = true;
    ctx.route = generation.builtins.for(method, step.path)!;
    ctx.route.run(ctx, done);
    return;
  }
  const candidates = step.candidates;
  ctx.aiShape = candidates.routes.some((r) => r.ai);
  // Synchronous (no tick) unless the choice needs the body's model.
  if (candidates.needsModel) {
    readModelBodyThen(ctx, generation.resources.maxBodyBytes, (err) => {
      if (err !== undefined) {
        done(err);
        return;
      }
      try {
        runSelected(ctx, method, candidates, done);
      } catch (failure) {
        done(failure);
      }
    });
    return;
  }
  runSelected(ctx, method, candidates, done);
}

/** Picks the route among the path's candidates (host, headers, model, CORS preflight) and runs its chain. */
function runSelected(ctx: RequestContext, method: string, candidates: Candidates, done: Done): void {
  const { generation, req } = ctx;
  const match: MatchRequest = { method, path: ctx.path, host: ctx.host, header: (name) => firstValue(req.headers[name]), model: ctx.model };
  const selection = selectRoute(generation.snapshot, candidates, match, { origin: firstValue(req.headers.origin), requestMethod: firstValue(req.headers["access-control-request-method"]) });
  if (selection.kind === "none") throw new HttpError(selection.code, selection.message);
  const route = generation.routes[selection.route.index]!;
  ctx.route = route;
  ctx.aiShape = selection.route.ai;
  route.run(ctx, done);
}

/**
 * One request from its start to `onComplete`: the chain's end turns any
 * failure into an error response and settles the request's usage; the
 * request is complete when the client's response has closed and that is
 * done, whichever comes last (a relay ends after the response's 'close',
 * when its byte count and the upstream attempt's time are recorded, and
 * the access line must see them).
 */
class RequestRun {
  private closed = false;
  private ended = false;
  private settled = false;
  private completed = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly onComplete: OnComplete,
  ) {}

  /** The client's response closed. */
  readonly onClose = (): void => {
    const { ctx } = this;
    const res = ctx.res;
    if (!res.writableFinished) {
      // The client left (or the response was cut): cancel the upstream
      // request. The chain may end (and settle) inside this call: the
      // request is complete only once the response counts as closed, below.
      ctx.cancel.abort();
      if (!res.headersSent) ctx.status = 499;
    }
    this.closed = true;
    if (this.settled) this.complete();
  };

  /** The chain ended: answer a failure, then settle what the request used upstream (once, whichever way it ended). */
  readonly done: Done = (failure) => {
    if (this.ended) return;
    this.ended = true;
    const { ctx } = this;
    // "Answered" with nothing sent (a promise rejected without a reason reads that way): the gateway failed, and says so.
    const err = failure === undefined && !ctx.res.headersSent && !ctx.res.destroyed ? new Error("the request ended without an answer") : failure;
    if (err !== undefined) {
      try {
        const httpError = toHttpError(err);
        if (httpError.code === "internal_error") ctx.generation.resources.logger.error({ err, requestId: ctx.id }, "request failed inside the gateway");
        sendError(ctx, httpError);
      } catch (failure) {
        ctx.generation.resources.logger.error({ err: failure, requestId: ctx.id }, "could not answer a failed request");
        ctx.res.destroy();
      }
    }
    const settling = ctx.meter === null ? undefined : pendingOf(ctx.meter.settle(ctx));
    if (settling === undefined) this.afterSettle();
    else settling.then(this.afterSettle, this.afterSettle);
  };

  private readonly afterSettle = (): void => {
    this.settled = true;
    if (this.closed) this.complete();
  };

  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    const { ctx } = this;
    ctx.generation.leave();
    try {
      this.onComplete(ctx);
    } catch (err) {
      ctx.generation.resources.logger.error({ err, requestId: ctx.id }, "could not record a finished request");
    }
  }
}

/**
 * The data plane's entry: route the request, run the route's chain, turn
 * any failure into an error response, settle the request's usage, and call
 * `onComplete` once (see RequestRun). Never throws.
 */
export function handleRequest(generation: ServingGeneration, req: IncomingMessage, res: ServerResponse, scheme: "http" | "https", onComplete: OnComplete): void {
  const ctx = newContext(generation, req, res, scheme);
  startTrace(ctx, scheme);
  generation.enter();
  const run = new RequestRun(ctx, onComplete);
  // `on`, not `once` (a response closes once; `once` wraps the listener in another closure per request).
  res.on("close", run.onClose);
  try {
    routeAndRun(ctx, run.done);
  } catch (err) {
    run.done(err);
  }
}
