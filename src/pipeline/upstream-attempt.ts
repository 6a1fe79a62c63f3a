import type { Upstream } from "../config/types.js";
import { genAiSystem } from "../observability/genai.js";
import { isStandardMethod } from "../observability/labels.js";
import type { AttemptTrace } from "../observability/tracing.js";
import type { Target, UpstreamPool } from "../upstream/pool.js";
import { aiKind } from "./ai/kind.js";
import type { OutgoingRequest } from "./dialect.js";
import type { ExchangeEnd, RequestContext, RequestResources } from "./types.js";

/** How an attempt ended, for everything that counts it. */
export interface AttemptEnd {
  /** The upstream's status, or 0 when no response came. */
  readonly status: number;
  /** For the request's metering: how far the exchange got. */
  readonly exchange: ExchangeEnd;
  /** For the target's breaker and outlier detection: the target did its job. */
  readonly targetOk: boolean;
  /** Why it failed, for logs, metrics and the span (none when it did not). */
  readonly errorType?: string;
}

/**
 * One attempt at an upstream target, held like a lease: it is ended exactly
 * once, whichever way the attempt goes, and that one end does all of its
 * bookkeeping: the pool's (in-flight count, breaker, outlier ejection), the
 * request's metering (the exchange's end), the upstream metrics, the access
 * log's upstream time, and the client span. Ending it again is a no-op.
 */
export class UpstreamAttempt {
  private readonly started: number;
  private readonly span: AttemptTrace | null;
  private ended = false;
  private sent = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly resources: RequestResources,
    private readonly def: Upstream,
    private readonly pool: UpstreamPool | null,
    private readonly target: Target | null,
    private readonly n: number,
  ) {
    this.started = resources.clock.monotonic();
    this.span = ctx.trace === null ? null : ctx.trace.attempt(() => this.spanStart());
  }

  /** The request is about to go: trace context into its headers, a new exchange for metering. */
  dispatch(headers: OutgoingRequest["headers"]): void {
    this.span?.inject(headers as Record<string, string | string[]>);
    this.ctx.meter?.begin(this.ctx);
    this.sent = true;
  }

  /** Whether `end` was called. */
  get done(): boolean {
    return this.ended;
  }

  end(how: AttemptEnd): void {
    if (this.ended) return;
    this.ended = true;
    const { ctx, resources, def } = this;
    // Nothing sent (the request could not even be built): not the target's doing.
    if (this.sent && this.pool !== null && this.target !== null) this.pool.finish(this.target, how.targetOk);
    if (this.sent) ctx.meter?.end(ctx, how.exchange);
    const ms = resources.clock.monotonic() - this.started;
    const label = this.target?.url ?? "mock";
    if (how.errorType !== undefined || how.status >= 500) {
      const log = resources.logger;
      if (log.isLevelEnabled("debug")) log.debug({ requestId: ctx.id, upstream: def.name, target: label, attempt: this.n + 1, status: how.status, error: how.errorType ?? null, ms: Math.round(ms * 1000) / 1000 }, "upstream attempt failed");
    }
    ctx.upstreamMs += ms;
    resources.metrics.recordUpstream(def.name, label, how.status, ms / 1000);
    if (this.span === null) return;
    const usage = how.status > 0 && how.status < 400 ? ctx.usage : null;
    this.span.end(
      how.status,
      usage === null ? {} : { "gen_ai.response.model": ctx.responseModel, "gen_ai.usage.input_tokens": usage.inputTokens, "gen_ai.usage.output_tokens": usage.outputTokens },
      how.errorType,
    );
  }

  private spanStart(): { name: string; attributes: Record<string, string | number | undefined> } {
    const { ctx, def, target } = this;
    const operation = ctx.route?.compiled.ai === true ? aiKind(ctx.path) : null;
    const system = operation === null ? undefined : genAiSystem(def.type);
    return {
      name: operation !== null && ctx.model !== undefined ? `${operation} ${ctx.model}` : isStandardMethod(ctx.req.method) ? ctx.req.method! : "HTTP",
      attributes: {
        "http.request.method": ctx.req.method,
        "server.address": target?.host ?? "mock",
        "server.port": target?.port,
        "url.full": target === null ? undefined : `${target.url}${ctx.path}`,
        "aigw.upstream": def.name,
        "aigw.attempt": this.n + 1,
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.operation.name": operation ?? undefined,
        "gen_ai.request.model": operation === null ? undefined : ctx.model,
      },
    };
  }
}
