import type { Logger } from "pino";
import type { RequestContext } from "../pipeline/context.js";
import type { Clock } from "../deps.js";

/**
 * One line per request. Paths are logged without the query (it can carry
 * keys); no header is logged, so no credential can leak through here.
 */
export function accessLogLine(ctx: RequestContext, clock: Clock): Record<string, unknown> {
  return {
    type: "access",
    requestId: ctx.id,
    method: ctx.req.method,
    host: ctx.host,
    path: ctx.path,
    route: ctx.route?.compiled.name ?? null,
    upstream: ctx.upstream,
    consumer: ctx.consumer?.name ?? ctx.identity?.subject ?? null,
    model: ctx.model ?? null,
    target: ctx.target,
    status: ctx.status,
    durationMs: Math.round((clock.monotonic() - ctx.startedAt) * 1000) / 1000,
    upstreamMs: Math.round(ctx.upstreamMs * 1000) / 1000,
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    clientIp: ctx.clientIp,
    error: ctx.errorCode,
    ...(ctx.usage === null ? {} : { inputTokens: ctx.usage.inputTokens, outputTokens: ctx.usage.outputTokens }),
    ...(ctx.costUsd === null ? {} : { costUsd: ctx.costUsd }),
    ...(ctx.cache === null ? {} : { cache: ctx.cache }),
    ...(ctx.trace === null ? {} : { traceId: ctx.trace.traceId }),
  };
}

export function writeAccessLog(logger: Logger, ctx: RequestContext, clock: Clock): void {
  if (logger.isLevelEnabled("info")) logger.info(accessLogLine(ctx, clock));
}
