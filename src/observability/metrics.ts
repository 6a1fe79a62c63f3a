import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { methodLabel } from "./labels.js";
import { HotCounter, HotGauge, HotHistogram, type CounterCell, type HistogramCell } from "./hot-metrics.js";

/**
 * The gateway's Prometheus metrics: one Registry per gateway instance.
 * Every label takes values from a finite set the config determines: route,
 * upstream, target, policy, provider and plugin names from the config;
 * models as the pricing pattern that priced them (or `unpriced`);
 * consumers as declared consumer names (never a token's subject); status
 * classes; methods mapped here to the standard ones or `OTHER`; reasons and
 * results as stable codes. Never raw paths, hosts or model names.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  /** `observability.metrics.enabled`: when false, requests are not recorded and /metrics is not served. */
  enabled = true;
  /** Whether request and token metrics carry a `consumer` label (`observability.metrics.consumerLabel`, fixed at start). */
  readonly consumerLabel: boolean;
  // Updated on every request: cells bumped in place (hot-metrics.ts).
  readonly httpRequests: HotCounter;
  readonly httpDuration: HotHistogram;
  readonly upstreamRequests: HotCounter;
  readonly upstreamDuration: HotHistogram;
  readonly timeToFirstToken: HotHistogram;
  readonly tokens: HotCounter;
  readonly cost: HotCounter;
  readonly activeStreams: HotGauge;
  readonly inFlight: HotGauge;
  readonly cacheHits: Counter<"route">;
  readonly cacheMisses: Counter<"route">;
  readonly configReloads: Counter<"result">;
  readonly authFailures: Counter<"provider" | "reason">;
  readonly rateLimitHits: Counter<"policy" | "mode">;
  readonly rateLimitOverflow: Counter<"policy">;
  readonly configInfo: Gauge<"hash">;
  readonly breakerState: Gauge<"upstream" | "target">;
  readonly pluginErrors: Counter<"plugin">;
  readonly streamsAbandoned: Counter<"upstream" | "reason">;

  constructor(options: { prefix?: string; defaultMetrics?: boolean; consumerLabel?: boolean } = {}) {
    const p = options.prefix ?? "aigw_";
    this.consumerLabel = options.consumerLabel ?? false;
    const byConsumer = this.consumerLabel ? (["consumer"] as const) : [];
    this.registry = new Registry();
    const make = new MetricMaker(p, this.registry);
    this.httpRequests = make.hotCounter("http_requests_total", "Requests answered by the data plane.", ["route", "method", "status_class", ...byConsumer]);
    this.httpDuration = make.hotHistogram("http_request_duration_seconds", "Time from request start to the end of the response.", ["route"], HTTP_BUCKETS);
    this.upstreamRequests = make.hotCounter(
      "upstream_requests_total",
      "Attempts sent to upstream targets (retries and fallbacks each count), by status class; `error` when no response came (connect error, timeout, reset).",
      ["upstream", "target", "status_class"],
    );
    this.upstreamDuration = make.hotHistogram(
      "upstream_duration_seconds",
      "Time of one upstream attempt, from sending the request to the end of the response (or the failure).",
      ["upstream"],
      UPSTREAM_BUCKETS,
    );
    this.timeToFirstToken = make.hotHistogram(
      "time_to_first_token_seconds",
      "Streaming responses: time from the request's arrival to the first body bytes sent to the client, by upstream and model pattern.",
      ["upstream", "model"],
      FIRST_TOKEN_BUCKETS,
    );
    this.cacheHits = make.counter("cache_hits_total", "AI responses answered from the response cache, by route.", ["route"]);
    this.cacheMisses = make.counter("cache_misses_total", "Cacheable AI requests the cache could not answer, by route.", ["route"]);
    this.authFailures = make.counter("auth_failures_total", "Requests refused by authentication or authorisation, by provider and reason.", ["provider", "reason"]);
    this.rateLimitHits = make.counter("rate_limit_hits_total", "Requests over a rate limit, by policy; mode=shadow counts those a shadow policy would have limited.", ["policy", "mode"]);
    this.rateLimitOverflow = make.counter(
      "rate_limit_overflow_total",
      "Requests counted on a policy's shared overflow counter because the in-memory store was full of live counters.",
      ["policy"],
    );
    this.tokens = make.hotCounter("tokens_total", "LLM tokens from upstream usage, by type (input, output) and model pattern (the pricing entry that priced it).", ["type", "model", ...byConsumer]);
    this.cost = make.hotCounter("cost_usd_total", "Cost of LLM usage in USD, by model pattern.", ["model"]);
    this.configReloads = make.counter("config_reloads_total", "Config loads and reloads, by result.", ["result"]);
    this.configInfo = make.gauge("config_info", "The active config: 1 for its hash (first 12 hex digits).", ["hash"]);
    // Under `serve --workers N` each worker has its own breakers: /metrics shows the highest state.
    this.breakerState = make.gauge("circuit_breaker_state", "Circuit breaker of each target: 0 closed, 1 open, 2 half-open.", ["upstream", "target"], "max");
    this.activeStreams = make.hotGauge("active_streams", "Streaming (SSE) responses in progress.");
    this.inFlight = make.hotGauge("requests_in_flight", "Requests in progress.");
    this.pluginErrors = make.counter("plugin_errors_total", "Plugin hooks that threw or rejected, by plugin.", ["plugin"]);
    this.streamsAbandoned = make.counter(
      "upstream_streams_abandoned_total",
      "Upstream streams the gateway stopped relaying (an event over the size limit), ended for the client with an error event.",
      ["upstream", "reason"],
    );
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  // Bound children by label values: prom-client hashes a label object on every
  // call otherwise. Label values are bounded (config names, methods, classes),
  // and looked up one level at a time, so no key string is built per request
  // (route → method → status class → consumer; upstream → target → class).
  private readonly requestChildren = new Map<string, Map<string, Map<string, Map<string, CounterCell>>>>();
  private readonly durationChildren = new Map<string, HistogramCell>();
  private readonly upstreamChildren = new Map<string, Map<string, Map<string, CounterCell>>>();
  private readonly upstreamDurationChildren = new Map<string, HistogramCell>();

  /**
   * Counts one answered request (and its duration). `rawMethod` is the
   * client's, mapped to its label here; `consumer`, a declared consumer's
   * name, is used only with `consumerLabel`.
   */
  recordRequest(route: string, rawMethod: string, status: number, seconds: number, consumer = "-"): void {
    if (!this.enabled) return;
    const method = methodLabel(rawMethod);
    const cls = statusClass(status);
    const who = this.consumerLabel ? consumer : "-";
    const byConsumer = level(level(level(this.requestChildren, route), method), cls);
    let counter = byConsumer.get(who);
    if (counter === undefined) {
      counter = this.consumerLabel ? this.httpRequests.cell(route, method, cls, consumer) : this.httpRequests.cell(route, method, cls);
      byConsumer.set(who, counter);
    }
    counter.value++;
    let histogram = this.durationChildren.get(route);
    if (histogram === undefined) {
      histogram = this.httpDuration.cell(route);
      this.durationChildren.set(route, histogram);
    }
    histogram.observe(seconds);
  }

  /** Counts one upstream attempt, by outcome (a status, or 0 for no response), and its duration. */
  recordUpstream(upstream: string, target: string, status: number, seconds: number): void {
    if (!this.enabled) return;
    const cls = status === 0 ? "error" : statusClass(status);
    const byClass = level(level(this.upstreamChildren, upstream), target);
    let counter = byClass.get(cls);
    if (counter === undefined) {
      counter = this.upstreamRequests.cell(upstream, target, cls);
      byClass.set(cls, counter);
    }
    counter.value++;
    let histogram = this.upstreamDurationChildren.get(upstream);
    if (histogram === undefined) {
      histogram = this.upstreamDuration.cell(upstream);
      this.upstreamDurationChildren.set(upstream, histogram);
    }
    histogram.observe(seconds);
  }

  recordFirstToken(upstream: string, model: string, seconds: number): void {
    if (this.enabled) this.timeToFirstToken.cell(upstream, model).observe(seconds);
  }

  recordCache(route: string, hit: boolean): void {
    if (this.enabled) (hit ? this.cacheHits : this.cacheMisses).inc({ route });
  }

  recordUsage(model: string, input: number, output: number, costUsd: number, consumer = "-"): void {
    if (!this.enabled) return;
    const who = this.consumerLabel ? consumer : "-";
    const byConsumer = level(this.usageChildren, model);
    let cells = byConsumer.get(who);
    if (cells === undefined) {
      cells = { input: null, output: null, cost: null };
      byConsumer.set(who, cells);
    }
    // A series shows once it has counted something, as prom-client's do.
    const extra = this.consumerLabel ? [consumer] : NO_LABELS;
    if (input > 0) (cells.input ??= this.tokens.cell("input", model, ...extra)).value += input;
    if (output > 0) (cells.output ??= this.tokens.cell("output", model, ...extra)).value += output;
    if (costUsd > 0) (cells.cost ??= this.cost.cell(model)).value += costUsd;
  }

  /** Token and cost cells by model pattern, then consumer ("-" without `consumerLabel`). */
  private readonly usageChildren = new Map<string, Map<string, { input: CounterCell | null; output: CounterCell | null; cost: CounterCell | null }>>();

  /** `reason` is a stable error code (e.g. `sse_event_too_large`), `upstream` a config name. */
  recordStreamAbandoned(upstream: string, reason: string): void {
    this.streamsAbandoned.inc({ upstream, reason });
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

const NO_LABELS: string[] = [];

const HTTP_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const UPSTREAM_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const FIRST_TOKEN_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30];

/** Makes the metrics of one registry, every name under the prefix. */
class MetricMaker {
  private readonly registers: Registry[];

  constructor(
    private readonly prefix: string,
    registry: Registry,
  ) {
    this.registers = [registry];
  }

  counter<T extends string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name: this.prefix + name, help, labelNames, registers: this.registers });
  }

  hotCounter(name: string, help: string, labelNames: readonly string[]): HotCounter {
    return new HotCounter(this.prefix + name, help, labelNames, this.registers[0]!);
  }

  hotHistogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HotHistogram {
    return new HotHistogram(this.prefix + name, help, labelNames, this.registers[0]!, buckets);
  }

  hotGauge(name: string, help: string): HotGauge {
    return new HotGauge(this.prefix + name, help, this.registers[0]!);
  }

  /** `aggregator` is how /metrics of `serve --workers N` joins the workers' values (prom-client's default: sum). */
  gauge<T extends string>(name: string, help: string, labelNames: readonly T[] = [], aggregator?: "max"): Gauge<T> {
    // prom-client copies the config over its defaults: an `aggregator: undefined` would replace "sum".
    return new Gauge({ name: this.prefix + name, help, labelNames, registers: this.registers, ...(aggregator === undefined ? {} : { aggregator }) });
  }
}

/** The map under `key` in `tree`, made on first use. */
function level<V>(tree: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let next = tree.get(key);
  if (next === undefined) {
    next = new Map<string, V>();
    tree.set(key, next);
  }
  return next;
}

export function statusClass(status: number): string {
  return status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : status >= 200 ? "2xx" : "1xx";
}
