import type { IncomingHttpHeaders } from "node:http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { api, core, resources, tracing } from "@opentelemetry/sdk-node";
import { clip } from "../errors/clip.js";
import type { SharedResource } from "../lifecycle/registry.js";
import { isStandardMethod } from "./labels.js";

/** `observability.tracing`, with defaults applied. */
export interface TracingSettings {
  otlpEndpoint: string;
  sampleRatio: number;
  serviceName: string;
  headers: Record<string, string>;
  /** How often batched spans are exported (ms). */
  exportDelayMs?: number;
}

type Attributes = Record<string, string | number | boolean | undefined>;

const SERVER = api.SpanKind.SERVER;
const CLIENT = api.SpanKind.CLIENT;

/**
 * Every attribute a span gets passes here. String values are clipped (most
 * are the client's: path, host, model, a token's subject); the method
 * follows the semantic conventions' bound: a non-standard one is `_OTHER`,
 * with the original (clipped) in `http.request.method_original`.
 */
function setAll(span: api.Span, attributes: Attributes): void {
  for (const [k, v] of Object.entries(attributes)) {
    if (v === undefined) continue;
    if (typeof v !== "string") span.setAttribute(k, v);
    else if (k === "http.request.method" && !isStandardMethod(v)) {
      span.setAttribute(k, "_OTHER");
      span.setAttribute("http.request.method_original", clip(v));
    } else span.setAttribute(k, clip(v));
  }
}

/** One upstream attempt: a client span whose context goes upstream in `traceparent`. */
export class AttemptTrace {
  constructor(
    private readonly span: api.Span,
    private readonly context: api.Context,
    private readonly propagator: api.TextMapPropagator,
  ) {}

  /** Sets `traceparent` (and `tracestate`) of the outgoing request to this attempt's span. */
  inject(headers: Record<string, string | string[]>): void {
    delete headers.traceparent;
    delete headers.tracestate;
    this.propagator.inject(this.context, headers, api.defaultTextMapSetter);
  }

  /** Ends the attempt: `status` the upstream answered (0: none, `errorType` says why). */
  end(status: number, attributes: Attributes = {}, errorType?: string): void {
    if (this.span.isRecording()) {
      if (status > 0) this.span.setAttribute("http.response.status_code", status);
      setAll(this.span, attributes);
      if (errorType !== undefined || status >= 500) {
        this.span.setAttribute("error.type", errorType ?? String(status));
        this.span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
    }
    this.span.end();
  }
}

/** The server span of one request, parent of its attempts. */
export class RequestTrace {
  private readonly context: api.Context;

  constructor(
    private readonly tracer: api.Tracer,
    private readonly span: api.Span,
    parent: api.Context,
    private readonly propagator: api.TextMapPropagator,
  ) {
    this.context = api.trace.setSpan(parent, span);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get sampled(): boolean {
    return (this.span.spanContext().traceFlags & api.TraceFlags.SAMPLED) === api.TraceFlags.SAMPLED;
  }

  /** Starts a client span for one attempt at an upstream target (name and attributes worked out only when it records). */
  attempt(describe: () => { name: string; attributes: Attributes }): AttemptTrace {
    const span = this.tracer.startSpan("attempt", { kind: CLIENT }, this.context);
    if (span.isRecording()) {
      const { name, attributes } = describe();
      span.updateName(clip(name));
      setAll(span, attributes);
    }
    return new AttemptTrace(span, api.trace.setSpan(this.context, span), this.propagator);
  }

  /** Ends the request: its route, status and the attributes only known at the end. */
  end(name: string, status: number, attributes: Attributes, errorType: string | null): void {
    if (this.span.isRecording()) {
      this.span.updateName(clip(name));
      this.span.setAttribute("http.response.status_code", status);
      setAll(this.span, attributes);
      if (errorType !== null && status >= 500) {
        this.span.setAttribute("error.type", errorType);
        this.span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
    }
    this.span.end();
  }
}

/**
 * Traces over OTLP/HTTP (@opentelemetry/sdk-node's tracer provider with the
 * OTLP/HTTP exporter): a server span per request continuing the client's
 * W3C `traceparent`, a client span per upstream attempt whose context goes
 * upstream, parent-based sampling with `sampleRatio` for new traces. The
 * provider belongs to this gateway (no global registration); it is shared
 * across snapshots while `observability.tracing` is unchanged and flushed
 * when it closes. Only loaded when tracing is configured.
 */
export class Tracing implements SharedResource {
  private readonly provider: tracing.BasicTracerProvider;
  private readonly tracer: api.Tracer;
  private readonly propagator = new core.W3CTraceContextPropagator();
  private readonly ratio: number;
  private closed: Promise<void> | null = null;

  constructor(
    settings: TracingSettings,
    version: string,
    private readonly random: () => number = Math.random,
  ) {
    this.ratio = settings.sampleRatio;
    const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`, headers: settings.headers });
    this.provider = new tracing.BasicTracerProvider({
      resource: resources.resourceFromAttributes({ "service.name": settings.serviceName, "service.version": version }),
      // New traces are sampled in startRequest, before any span exists; the
      // provider follows remote parents' decisions.
      sampler: new tracing.ParentBasedSampler({ root: new tracing.AlwaysOnSampler() }),
      spanProcessors: [new tracing.BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.exportDelayMs ?? 1000, maxQueueSize: 8192 })],
    });
    this.tracer = this.provider.getTracer("aigw", version);
  }

  /**
   * Starts the server span of a request, continuing its `traceparent` when
   * it has one (sampled as its parent was). A new trace is sampled with
   * `sampleRatio`; one that is not gets no span at all (null): it costs a
   * random number, and the upstream sees no trace context, as it would
   * without the gateway. Attributes are worked out only for spans that record.
   */
  startRequest(headers: IncomingHttpHeaders, attributes: () => Attributes): RequestTrace | null {
    const remote = headers.traceparent !== undefined;
    if (!remote && !(this.random() < this.ratio)) return null;
    const parent = remote ? this.propagator.extract(api.ROOT_CONTEXT, headers, api.defaultTextMapGetter) : api.ROOT_CONTEXT;
    const span = this.tracer.startSpan("request", { kind: SERVER }, parent);
    if (span.isRecording()) setAll(span, attributes());
    return new RequestTrace(this.tracer, span, parent, this.propagator);
  }

  /** Exports what is buffered now. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  close(): Promise<void> {
    this.closed ??= this.provider.shutdown().catch(() => undefined);
    return this.closed;
  }

  destroy(): Promise<void> {
    return this.close();
  }
}
