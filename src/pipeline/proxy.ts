import type { Readable } from "node:stream";
import type { CompiledRoute } from "../compile/route.js";
import type { Upstream } from "../config/types.js";
import { HttpError } from "../errors/http.js";
import type { UpstreamRequest, UpstreamResponse } from "../upstream/exchange.js";
import type { GenerationResources } from "../reload/generation.js";
import { BodyLimit, hasBody, readBody } from "./body.js";
import type { RequestContext } from "./context.js";
import { applyHeaderRules, endToEnd, firstValue, type HeaderMap } from "./headers.js";
import type { Handler } from "./order.js";
import { upstreamPath } from "./rewrite.js";
import { relayBody } from "./relay.js";
import { UsageTap } from "../usage/extract.js";

const DROP_REQUEST = new Set(["host", "content-length", "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]);
const DROP_RESPONSE = new Set(["x-aigw-route", "x-aigw-upstream"]);

/** Picks the upstream of a route: its `upstream`, or a weighted draw from its `split`. */
function chooseUpstream(route: CompiledRoute, random: () => number): string {
  if (route.upstream !== null) return route.upstream;
  const split = route.split ?? [];
  const total = split.reduce((s, x) => s + x.weight, 0);
  let draw = random() * total;
  for (const s of split) {
    draw -= s.weight;
    if (draw < 0) return s.upstream;
  }
  return split[split.length - 1]!.upstream;
}

/** Credentials of the upstream replace whatever the client sent. */
function injectCredentials(headers: HeaderMap, upstream: Upstream): void {
  const key = upstream.credentials?.apiKey;
  if (key === undefined) return;
  if (upstream.credentials?.header !== undefined) {
    delete headers.authorization;
    headers[upstream.credentials.header.toLowerCase()] = key;
  } else if (upstream.type === "anthropic") {
    delete headers.authorization;
    headers["x-api-key"] = key;
  } else {
    delete headers["x-api-key"];
    headers.authorization = `Bearer ${key}`;
  }
  if (upstream.type === "anthropic" && headers["anthropic-version"] === undefined) {
    headers["anthropic-version"] = upstream.anthropicVersion ?? "2023-06-01";
  }
}

function forwardedHeaders(ctx: RequestContext, resources: GenerationResources, drop: ReadonlySet<string>): HeaderMap {
  const req = ctx.req;
  const headers = endToEnd(req.headers, drop);
  const remote = req.socket.remoteAddress ?? "";
  const trusted = resources.trusts(remote);
  const xff = firstValue(req.headers["x-forwarded-for"]);
  headers["x-forwarded-for"] = trusted && xff !== undefined ? `${xff}, ${remote}` : remote;
  const proto = trusted ? firstValue(req.headers["x-forwarded-proto"]) : undefined;
  headers["x-forwarded-proto"] = proto ?? ctx.scheme;
  const fwdHost = trusted ? firstValue(req.headers["x-forwarded-host"]) : undefined;
  const host = fwdHost ?? req.headers.host ?? firstValue(req.headers[":authority"]);
  if (host !== undefined) headers["x-forwarded-host"] = host;
  headers["x-request-id"] = ctx.id;
  return headers;
}

function classify(err: unknown, ctx: RequestContext): HttpError {
  const reason = ctx.cancel.reason;
  if (ctx.cancel.aborted && HttpError.is(reason)) return reason;
  if (HttpError.is(err)) return err;
  const code = (err as { code?: string } | null)?.code ?? "";
  switch (code) {
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EAI_AGAIN":
    case "UND_ERR_CONNECT_TIMEOUT":
      return new HttpError("upstream_connect_error", `could not connect to upstream ${ctx.upstream} (${code})`, { cause: err });
    case "UND_ERR_HEADERS_TIMEOUT":
      return new HttpError("upstream_timeout", `upstream ${ctx.upstream} did not answer in time`, { cause: err });
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return new HttpError("upstream_reset", `upstream ${ctx.upstream} closed the connection`, { cause: err });
    default:
      return new HttpError("upstream_error", `upstream ${ctx.upstream} failed`, { cause: err });
  }
}

/**
 * The terminal stage: send the request to a target of the route's upstream
 * and stream the answer back, both bodies streamed with backpressure.
 */
export function createProxy(route: CompiledRoute, resources: GenerationResources): Handler {
  const routeName = route.name;
  // On routes with auth, the client's credentials never reach the upstream.
  const drop = new Set([...DROP_REQUEST, ...route.auth.flatMap((name) => resources.authenticators.get(name)?.credentialHeaders ?? [])]);
  return async (ctx) => {
    const name = chooseUpstream(route, resources.random);
    ctx.upstream = name;
    const upstream = resources.upstreams.get(name)!;
    const def = upstream.definition;
    // 0 means "no limit" at each level; the tightest remaining one applies.
    const limits = [route.timeoutMs ?? resources.requestTimeoutMs, def.timeouts?.requestMs ?? 0].filter((ms) => ms > 0);
    const timeoutMs = limits.length === 0 ? 0 : Math.min(...limits);
    const timer =
      timeoutMs > 0 && Number.isFinite(timeoutMs)
        ? setTimeout(() => ctx.cancel.abort(new HttpError("upstream_timeout", `upstream ${name} did not finish within ${timeoutMs}ms`)), timeoutMs)
        : null;
    try {
      let response: UpstreamResponse;
      if (upstream.mock !== null) {
        if (ctx.body === null && hasBody(ctx.req)) {
          ctx.body = await readBody(ctx.req, resources.maxBodyBytes);
          ctx.bytesIn = ctx.body.length;
        }
        const body = ctx.body;
        ctx.target = "mock";
        response = await upstream.mock.handle({ method: ctx.req.method ?? "GET", path: upstreamPath(ctx.path, route.rewrite, ""), body, cancel: ctx.cancel });
      } else {
        const target = upstream.pool!.pick();
        if (target === undefined) throw new HttpError("no_healthy_target", `upstream ${name} has no target that can take traffic`);
        ctx.target = target.url;
        const headers = forwardedHeaders(ctx, resources, drop);
        applyHeaderRules(headers, route.requestHeaders);
        injectCredentials(headers, def);
        if (def.consumerHeader !== undefined) {
          const name = def.consumerHeader.toLowerCase();
          delete headers[name];
          const who = ctx.consumer?.name ?? ctx.identity?.subject;
          if (who !== undefined) headers[name] = who;
        }
        let body: UpstreamRequest["body"] = ctx.body;
        if (body === null && hasBody(ctx.req)) {
          const length = ctx.req.headers["content-length"];
          if (length !== undefined) headers["content-length"] = length;
          body = ctx.req.pipe(new BodyLimit(resources.maxBodyBytes)) as Readable;
        }
        response = await upstream.pool!.send(target, {
          method: ctx.req.method ?? "GET",
          path: upstreamPath(ctx.path, route.rewrite, target.basePath) + ctx.query,
          headers,
          body,
          signal: ctx.cancel,
        });
      }
      await relay(ctx, response, route, routeName, resources);
    } catch (err) {
      throw classify(err, ctx);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  };
}

async function relay(ctx: RequestContext, response: UpstreamResponse, route: CompiledRoute, routeName: string, resources: GenerationResources): Promise<void> {
  const headers = endToEnd(response.headers, DROP_RESPONSE);
  applyHeaderRules(headers, route.responseHeaders);
  headers["x-request-id"] = ctx.id;
  headers["x-aigw-route"] = routeName;
  headers["x-aigw-upstream"] = ctx.upstream!;
  if (ctx.extraHeaders !== null) Object.assign(headers, ctx.extraHeaders);
  if (ctx.generation.draining && ctx.req.httpVersionMajor === 1) headers.connection = "close";
  ctx.status = response.status;
  ctx.res.writeHead(response.status, headers);
  const streaming = String(headers["content-type"] ?? "").startsWith("text/event-stream");
  if (streaming) resources.metrics.activeStreams.inc();
  const tap = ctx.captureUsage && response.status < 300 ? new UsageTap(String(headers["content-type"] ?? "")) : null;
  try {
    const hook = ctx.beforeResponseEnd;
    const beforeEnd =
      tap === null && hook === null
        ? undefined
        : async () => {
            if (tap !== null) ctx.usage = tap.finish();
            if (hook !== null) await hook();
          };
    ctx.bytesOut += await relayBody(response.body, ctx.res, tap === null ? undefined : (chunk) => tap.push(chunk), beforeEnd);
  } finally {
    if (streaming) resources.metrics.activeStreams.dec();
  }
}
