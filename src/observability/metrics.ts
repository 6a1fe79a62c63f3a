import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The gateway's Prometheus metrics: one Registry per gateway instance.
 * Labels are bounded: route and upstream names from the config, status
 * classes, results; never raw paths or consumer ids.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"route" | "method" | "status_class">;
  readonly httpDuration: Histogram<"route">;
  readonly upstreamRequests: Counter<"upstream" | "status_class">;
  readonly configReloads: Counter<"result">;
  readonly authFailures: Counter<"provider" | "reason">;
  readonly rateLimitHits: Counter<"policy" | "mode">;
  readonly tokens: Counter<"type" | "model">;
  readonly cost: Counter<"model">;
  readonly configInfo: Gauge<"hash">;
  readonly activeStreams: Gauge;
  readonly breakerState: Gauge<"upstream" | "target">;
  readonly inFlight: Gauge;

  constructor(options: { prefix?: string; defaultMetrics?: boolean } = {}) {
    const p = options.prefix ?? "aigw_";
    this.registry = new Registry();
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: `${p}http_requests_total`,
      help: "Requests answered by the data plane.",
      labelNames: ["route", "method", "status_class"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: "Time from request start to the end of the response.",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: `${p}upstream_requests_total`,
      help: "Requests sent to upstreams, by outcome.",
      labelNames: ["upstream", "status_class"],
      registers,
    });
    this.authFailures = new Counter({
      name: `${p}auth_failures_total`,
      help: "Requests refused by authentication or authorisation, by provider and reason.",
      labelNames: ["provider", "reason"],
      registers,
    });
    this.rateLimitHits = new Counter({
      name: `${p}rate_limit_hits_total`,
      help: "Requests over a rate limit, by policy; mode=shadow counts those a shadow policy would have limited.",
      labelNames: ["policy", "mode"],
      registers,
    });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: "LLM tokens from upstream usage, by type (input, output) and model pattern (the pricing entry that priced it).",
      labelNames: ["type", "model"],
      registers,
    });
    this.cost = new Counter({
      name: `${p}cost_usd_total`,
      help: "Cost of LLM usage in USD, by model pattern.",
      labelNames: ["model"],
      registers,
    });
    this.configReloads = new Counter({
      name: `${p}config_reloads_total`,
      help: "Config loads and reloads, by result.",
      labelNames: ["result"],
      registers,
    });
    this.configInfo = new Gauge({
      name: `${p}config_info`,
      help: "The active config: 1 for its hash (first 12 hex digits).",
      labelNames: ["hash"],
      registers,
    });
    this.breakerState = new Gauge({
      name: `${p}circuit_breaker_state`,
      help: "Circuit breaker of each target: 0 closed, 1 open, 2 half-open.",
      labelNames: ["upstream", "target"],
      registers,
    });
    this.activeStreams = new Gauge({ name: `${p}active_streams`, help: "Streaming (SSE) responses in progress.", registers });
    this.inFlight = new Gauge({ name: `${p}requests_in_flight`, help: "Requests in progress.", registers });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  // Bound children by label values: prom-client hashes a label object on every
  // call otherwise. Label values are bounded (config names, methods, classes).
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  private readonly upstreamChildren = new Map<string, { inc(): void }>();

  /** Counts one answered request (and its duration). */
  recordRequest(route: string, method: string, status: number, seconds: number): void {
    const cls = statusClass(status);
    const key = `${route}\u0000${method}\u0000${cls}`;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.httpRequests.labels({ route, method, status_class: cls });
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.durationChildren.get(route);
    if (histogram === undefined) {
      histogram = this.httpDuration.labels({ route });
      this.durationChildren.set(route, histogram);
    }
    histogram.observe(seconds);
  }

  /** Counts one request that reached an upstream, by outcome. */
  recordUpstream(upstream: string, status: number): void {
    const cls = statusClass(status);
    const key = `${upstream}\u0000${cls}`;
    let counter = this.upstreamChildren.get(key);
    if (counter === undefined) {
      counter = this.upstreamRequests.labels({ upstream, status_class: cls });
      this.upstreamChildren.set(key, counter);
    }
    counter.inc();
  }

  recordUsage(model: string, input: number, output: number, costUsd: number): void {
    if (input > 0) this.tokens.inc({ type: "input", model }, input);
    if (output > 0) this.tokens.inc({ type: "output", model }, output);
    if (costUsd > 0) this.cost.inc({ model }, costUsd);
  }

  setBreaker(upstream: string, target: string, state: "closed" | "open" | "half_open"): void {
    this.breakerState.set({ upstream, target }, state === "closed" ? 0 : state === "open" ? 1 : 2);
  }

  /** Marks `hash` (sha256:<hex>) as the active config. */
  setConfig(hash: string): void {
    this.configInfo.reset();
    this.configInfo.set({ hash: hash.replace(/^sha256:/, "").slice(0, 12) }, 1);
  }
}

export function statusClass(status: number): string {
  return status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : status >= 200 ? "2xx" : "1xx";
}
