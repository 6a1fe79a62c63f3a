import type { Translators } from "../ai/registry.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { StreamTranslator } from "../ai/types.js";
import type { Authenticator } from "../auth/authenticator.js";
import type { ResponseCache } from "../cache/store.js";
import type { Identity } from "../compile/identity.js";
import type { CompiledRoute } from "../compile/route.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { Upstream } from "../config/types.js";
import type { CompiledConsumer as Consumer } from "../compile/snapshot.js";
import type { Clock } from "../deps.js";
import type { HttpError } from "../errors/http.js";
import type { Cancel } from "../lifecycle/cancel.js";
import type { ClientIpResolver, TrustCheck } from "../net/client-ip.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { RequestTrace, Tracing } from "../observability/tracing.js";
import type { RuntimePolicy } from "../ratelimit/policy.js";
import type { RateLimitStore } from "../ratelimit/store.js";
import type { MockProvider } from "../upstream/providers/mock.js";
import type { UpstreamPool } from "../upstream/pool.js";
import type { Usage } from "../usage/extract.js";
import type { UsageLedger } from "../usage/ledger.js";
import type { PriceList } from "../usage/pricing.js";
import type { HeaderMap } from "./headers.js";

/**
 * The request path's own vocabulary, in one module because its types refer
 * to each other (a context holds its route, a route its handler, a handler
 * takes a context). Everything below the request path (leaves, compile,
 * config) is imported; nothing above it (reload, server, cli) is: a config
 * generation reaches the pipeline only through `ServingGeneration` and
 * `RequestResources`, which reload implements, and plugins only through
 * `PluginRunner` and `PluginRequestRun`, which the plugins layer implements.
 */

/** Handles a request to its end (answers it, or throws an HttpError). */
export type Handler = (ctx: RequestContext) => Promise<void>;

/** Called once when a request's handling has ended: with nothing when it answered, with the failure (an HttpError, or any error) when not. */
export type Done = (err?: unknown) => void;

/**
 * A Handler driven by a callback instead of a promise: the terminal
 * proxy, and a whole route when it has no stage, run this way, so a
 * request that only passes through takes no promise (and no async frame).
 */
export type Run = (ctx: RequestContext, done: Done) => void;

/** A stage does its part and calls `next`, or answers and does not. */
export type Stage = (ctx: RequestContext, next: Handler) => Promise<void>;

/**
 * A stage in callback form (the built-in stages, so a request through them
 * takes no promise): it does its part and then either goes on with
 * `next(ctx, done)` or ends the request with `done(err)`, one of the two,
 * once. It may throw before calling either (the request then ends with
 * that error), never after.
 */
export type RunStage = (ctx: RequestContext, next: Run, done: Done) => void;

/** What a stage factory makes: a stage in callback form, or a promise `Stage` (plugins). */
export type ChainStage = Stage | { readonly run: RunStage };

export interface StageFactory {
  readonly name: string;
  /** The stage for this route, or null when the route does not need it (left out, not skipped per request). */
  create(route: CompiledRoute, resources: RequestResources): ChainStage | null;
}

/** A compiled route with its request chain composed. */
export interface AssembledRoute {
  readonly compiled: CompiledRoute;
  /** The route's chain to its end: the terminal itself when the route has no stage. */
  readonly run: Run;
  /** Stage names in order, for `aigw routes` and logs. */
  readonly stages: readonly string[];
}

/** How a request reaches an upstream: a pool of targets, or the in-process mock. */
export interface UpstreamRuntime {
  readonly definition: Upstream;
  readonly pool: UpstreamPool | null;
  readonly mock: MockProvider | null;
}

/** What the AI stages of a generation share. */
export interface AiResources {
  /** The translators of the snapshot's upstream types, loaded with it. */
  readonly translators: Translators;
  readonly defaultMaxTokens: number;
  readonly prices: PriceList;
  readonly ledger: UsageLedger;
  /** Null when no route caches. */
  readonly cache: ResponseCache | null;
}

/** What the rate-limit stage of a generation shares. */
export interface RateLimitResources {
  readonly store: RateLimitStore;
  readonly onError: "allow" | "deny";
  readonly policies: ReadonlyMap<string, RuntimePolicy>;
}

/** What the stages of one generation share. */
export interface RequestResources {
  readonly upstreams: ReadonlyMap<string, UpstreamRuntime>;
  readonly authenticators: ReadonlyMap<string, Authenticator>;
  readonly consumers: ReadonlyMap<string, Consumer>;
  /** Provider name → its `defaultConsumer`. */
  readonly defaultConsumers: ReadonlyMap<string, string>;
  readonly rateLimits: RateLimitResources;
  readonly ai: AiResources;
  readonly gatewayRateLimits: readonly string[];
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly trusts: TrustCheck;
  readonly clientIp: ClientIpResolver;
  readonly random: () => number;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Null when `observability.tracing` is not set: requests then pay nothing for it. */
  readonly tracing: Tracing | null;
  /** The snapshot's plugins; null when it has none. */
  readonly plugins: PluginRunner | null;
}

/** `GET /v1/models` and `GET /v1/usage`, served by the gateway itself. */
export interface BuiltinRoutes {
  /** The built-in route for a request, or null. */
  for(method: string, path: string): AssembledRoute | null;
}

/** The generation a request runs on, from its start to its end. */
export interface ServingGeneration {
  readonly snapshot: Snapshot;
  readonly resources: RequestResources;
  /** Assembled routes by compiled-route index. */
  readonly routes: readonly AssembledRoute[];
  readonly builtins: BuiltinRoutes;
  /** The gateway is shutting down: HTTP/1.1 answers carry `connection: close`. */
  readonly draining: boolean;
  enter(): void;
  leave(): void;
}

/** The two places plugins run on a route's path (DESIGN.md 11). */
export type PluginPhase = "access" | "request";

/** The snapshot's plugins, as the request path uses them (the plugins layer implements this). */
export interface PluginRunner {
  /** The route's plugin stage for `phase`, or null when it has none there. */
  stage(phase: PluginPhase, route: CompiledRoute, resources: RequestResources): Stage | null;
  /** Response header names a route's plugins remove from every answer, which the copy of an upstream's headers can leave out. */
  responseStrips(route: CompiledRoute, resources: RequestResources): readonly string[];
}

/** One request's pass through its route's plugins: the response hooks and guards the relays call. */
export interface PluginRequestRun {
  /** Runs the response hooks; the headers to send, or null when a hook answered instead. */
  respond(status: number, headers: HeaderMap, upstreamBody?: { destroy(): void }): HeaderMap | null;
  /** A whole completion through the response guards: true when changed (redacted), an HttpError when blocked. */
  guardCompletion(body: Record<string, unknown>): boolean | HttpError;
  /** A cached completion through the response guards (redact only). */
  guardCached(body: Record<string, unknown>): void;
  /** A stream translator whose output passes the response guards. */
  guardStream(translator: StreamTranslator): StreamTranslator;
}

/**
 * How an upstream exchange ended: `complete` (the answer arrived whole),
 * `error` (a whole error answer: providers do not bill those), `cut` (the
 * client left, the upstream reset or timed out, the stream failed in-band
 * or a guard stopped it), `unreached` (no connection: nothing was sent).
 */
export type ExchangeEnd = "complete" | "error" | "cut" | "unreached";

/** A request's token metering (pipeline/metering.ts): every exchange is charged, the request settled once. */
export interface UsageMeter {
  /** Exchanges that reached an upstream. */
  readonly exchanges: number;
  /** The answer came from the response cache (counted, costs nothing). */
  cacheHit: boolean;
  /** Whether anything is to be charged or counted: an upstream was reached, or the cache answered. */
  readonly counted: boolean;
  /** The tokens of every exchange so far. */
  readonly total: Usage;
  readonly settled: boolean;
  onSettle(hook: SettleHook): void;
  begin(ctx: RequestContext): void;
  report(usage: Partial<Usage> | null): void;
  end(ctx: RequestContext, how: ExchangeEnd): void;
  settle(ctx: RequestContext, how?: ExchangeEnd): Promise<void>;
}

/** What one consumer of the settlement does with it (the ledger, token limits). */
export type SettleHook = (ctx: RequestContext, meter: UsageMeter) => Promise<void> | void;

/**
 * Everything one request carries through the stages. Allocated once per
 * request; stages read and fill it.
 */
export interface RequestContext {
  readonly id: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Monotonic ms at arrival. */
  readonly startedAt: number;
  /** The generation current when the request arrived; kept to its end. */
  readonly generation: ServingGeneration;
  readonly clientIp: string;
  readonly scheme: "http" | "https";
  /** Normalised path, no query. */
  path: string;
  /** `?…` or "". */
  query: string;
  /** Normalised host. */
  host: string;
  route: AssembledRoute | null;
  /** Answer errors in the OpenAI shape (an AI route, or a path only AI routes serve). */
  aiShape: boolean;
  /** The body, when it was read (AI routes); otherwise it streams. */
  body: Buffer | null;
  json: Record<string, unknown> | null;
  model: string | undefined;
  /** Who the caller is, once an auth provider accepted them. */
  identity: Identity | null;
  /** The declared consumer of the identity (or the provider's defaultConsumer). */
  consumer: Consumer | null;
  upstream: string | null;
  target: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  errorCode: string | null;
  /** Headers stages add to the response (rate-limit state), whatever the upstream answers. */
  extraHeaders: Record<string, string> | null;
  /** Token metering (AI routes, token limits): every upstream exchange is charged, and the request settled once. */
  meter: UsageMeter | null;
  /** The tokens the request was charged, once settled (every exchange that reached an upstream). */
  usage: Usage | null;
  /** The model the upstream says it used (priced when the requested one is not). */
  responseModel: string | undefined;
  /** What the request cost, once metered (USD). */
  costUsd: number | null;
  /** AI routes: whether the answer came from the cache. */
  cache: "hit" | "miss" | null;
  /** AI routes with a cache: where to store a cacheable answer. */
  cacheKey: string | null;
  /** Routes with plugins: the request's pass through them (response hooks and guards run from the relays). */
  plugins: PluginRequestRun | null;
  /** The request's server span, when tracing is on. */
  trace: RequestTrace | null;
  /** Time spent in upstream attempts (ms), for the access log. */
  upstreamMs: number;
  /** Aborted when the client leaves or a timeout fires; cancels the upstream request. */
  readonly cancel: Cancel;
}
