import type { RequestRecord } from "./request-record.js";
import { isStandardMethod } from "./labels.js";

/**
 * Ends a request's server span with what is known at its end (route,
 * status, consumer, GenAI usage). Its name is `{method} {route}`, with
 * `HTTP` for a method outside the standard ones (the semantic
 * conventions' bound on span names); attribute values are clipped where
 * they are set (tracing.ts).
 */
export function endRequestTrace(ctx: RequestRecord, route: string): void {
  const trace = ctx.trace;
  if (trace === null) return;
  const usage = ctx.usage;
  const method = ctx.req.method ?? "GET";
  trace.end(
    `${isStandardMethod(method) ? method : "HTTP"} ${route}`,
    ctx.status,
    {
      "aigw.route": ctx.route === null ? undefined : route,
      "aigw.upstream": ctx.upstream ?? undefined,
      "aigw.consumer": ctx.consumer?.name ?? ctx.identity?.subject,
      "aigw.cache": ctx.cache ?? undefined,
      "aigw.cost_usd": ctx.costUsd ?? undefined,
      "gen_ai.request.model": ctx.model,
      "gen_ai.response.model": ctx.responseModel,
      "gen_ai.usage.input_tokens": usage?.inputTokens,
      "gen_ai.usage.output_tokens": usage?.outputTokens,
    },
    ctx.errorCode,
  );
}
