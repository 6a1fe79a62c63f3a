import type { Logger } from "pino";
import type { CompiledRoute } from "../compile/route.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { Clock } from "../deps.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import { compileTrust, type TrustCheck, type ClientIpResolver } from "../pipeline/client-ip.js";
import { composeChain } from "../pipeline/order.js";
import { createProxy } from "../pipeline/proxy.js";
import type { AssembledRoute } from "../pipeline/route-handler.js";
import { assembleBuiltins, type BuiltinRoutes } from "../pipeline/builtins.js";
import { MockProvider } from "../upstream/providers/mock.js";
import { UpstreamPool } from "../upstream/pool.js";
import type { AuthProvider, Consumer, Upstream } from "../config/types.js";
import type { Authenticator } from "../auth/authenticator.js";
import { createAuthenticator } from "../auth/create.js";
import type { Discover } from "../auth/oidc.js";
import type { RateLimitResources } from "../pipeline/ratelimit.js";
import { MemoryStore } from "../ratelimit/memory-store.js";
import { RedisStore } from "../ratelimit/redis-store.js";
import type { RateLimitStore } from "../ratelimit/store.js";
import { runtimePolicy } from "../ratelimit/policy.js";
import type { RedisConnection, RedisSettings } from "../state/redis.js";
import type { OptionalModules } from "./modules.js";
import { MemoryLedger, RedisLedger, type UsageLedger } from "../usage/ledger.js";
import { PriceList } from "../usage/pricing.js";
import { MemoryCache, RedisCache, type ResponseCache } from "../cache/store.js";

/** What the AI stages of a generation share. */
export interface AiResources {
  readonly defaultMaxTokens: number;
  readonly prices: PriceList;
  readonly ledger: UsageLedger;
  /** Null when no route caches. */
  readonly cache: ResponseCache | null;
}
import type { ResourceRegistry } from "./registry.js";
import type { Tracing, TracingSettings } from "../observability/tracing.js";
import type { PreparedPlugins } from "../plugins/load.js";
import { packageVersion } from "../cli/version.js";

/** How a request reaches an upstream: a pool of targets, or the in-process mock. */
export interface UpstreamRuntime {
  readonly definition: Upstream;
  readonly pool: UpstreamPool | null;
  readonly mock: MockProvider | null;
}

/** What the stages of one generation share. */
export interface GenerationResources {
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
  /** The plugin instances of the snapshot; null when it has no plugins. */
  readonly plugins: PreparedPlugins | null;
}

export interface AssembleDeps {
  registry: ResourceRegistry;
  /** OIDC discovery (tests pass a fake); openid-client by default. */
  discover?: Discover;
  /** Optional modules the snapshot needs, loaded by `loadModules`. */
  modules: OptionalModules;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
  random: () => number;
}

/**
 * The logger of a generation's stages: `observability.logs.redact` names
 * (headers, or field paths when they contain a dot) censored on top of the
 * process logger's own list, wherever a line carries them.
 */
function redactingLogger(logger: Logger, names: readonly string[] | undefined): Logger {
  if (names === undefined || names.length === 0) return logger;
  const paths = names.flatMap((n) => {
    if (n.includes(".")) return [n];
    const key = JSON.stringify(n.toLowerCase());
    return [`headers[${key}]`, `*.headers[${key}]`, `[${key}]`];
  });
  return logger.child({}, { redact: { paths, censor: "[redacted]" } });
}

/**
 * A snapshot made runnable: each route's chain composed once, pools taken
 * from the registry. Requests hold the generation they started on; a retired
 * generation releases its pools when its last request ends.
 */
export class Generation {
  readonly snapshot: Snapshot;
  readonly resources: GenerationResources;
  /** Assembled routes by compiled-route index. */
  readonly routes: readonly AssembledRoute[];
  /** `GET /v1/models` and `GET /v1/usage`, assembled as routes of their own. */
  readonly builtins: BuiltinRoutes;
  draining = false;
  private inFlight = 0;
  private retired = false;
  private released: Promise<void> | null = null;
  private whenRetired: Promise<void> | null = null;
  private onReleased: (() => void) | null = null;
  private readonly registry: ResourceRegistry;
  private readonly authDefs: AuthProvider[];
  private redis: RedisConnection | null = null;
  private redisDef: RedisSettings | null = null;
  private memory: MemoryStore | null = null;
  private memoryDef: { maxKeys: number } | null = null;
  private ledger: MemoryLedger | null = null;
  private memoryCache: MemoryCache | null = null;
  private cacheDef: { maxBytes: number } | null = null;
  private tracing: Tracing | null = null;
  private tracingDef: TracingSettings | null = null;

  constructor(snapshot: Snapshot, deps: AssembleDeps) {
    this.snapshot = snapshot;
    this.registry = deps.registry;
    const upstreams = new Map<string, UpstreamRuntime>();
    for (const [name, def] of snapshot.upstreams) {
      upstreams.set(
        name,
        def.type === "mock"
          ? { definition: def, pool: null, mock: new MockProvider(def, deps.clock) }
          : {
              definition: def,
              pool: deps.registry.acquire("pool", def, () => new UpstreamPool(def, { clock: deps.clock, random: deps.random, onBreakerChange: (u, t, s) => deps.metrics.setBreaker(u, t, s) })),
              mock: null,
            },
      );
    }
    const authenticators = new Map<string, Authenticator>();
    for (const [name, def] of snapshot.authProviders) {
      authenticators.set(name, deps.registry.acquire("auth", def, () => createAuthenticator(def, deps.modules, { now: () => deps.clock.now(), ...(deps.discover === undefined ? {} : { discover: deps.discover }) })));
    }
    this.authDefs = [...snapshot.authProviders.values()];
    const state = snapshot.config.state ?? {};
    let store: RateLimitStore;
    let ledger: UsageLedger;
    let cache: ResponseCache | null = null;
    const caching = snapshot.routes.some((r) => r.cache !== null);
    if (state.redis !== undefined) {
      this.redisDef = { url: state.redis.url, timeoutMs: state.redis.timeoutMs ?? 250 };
      this.redis = deps.registry.acquire("redis", this.redisDef, () => new deps.modules.redis!.RedisConnection(this.redisDef!));
      const prefix = state.redis.keyPrefix ?? "aigw:";
      store = new RedisStore(this.redis.client, prefix);
      ledger = new RedisLedger(this.redis.client, prefix, deps.clock);
      if (caching) cache = new RedisCache(this.redis.client, prefix);
    } else {
      this.memoryDef = { maxKeys: state.memory?.maxKeys ?? 100_000 };
      this.memory = deps.registry.acquire("memory-store", this.memoryDef, () =>
        new MemoryStore(deps.clock, this.memoryDef!.maxKeys, undefined, { onOverflow: (policy) => deps.metrics.rateLimitOverflow.inc({ policy }) }),
      );
      store = this.memory;
      this.ledger = deps.registry.acquire("memory-ledger", {}, () => new MemoryLedger(deps.clock));
      ledger = this.ledger;
      if (caching) {
        this.cacheDef = { maxBytes: state.memory?.cacheMaxBytes ?? 64 * 1024 * 1024 };
        this.memoryCache = deps.registry.acquire("memory-cache", this.cacheDef, () => new MemoryCache(deps.clock, this.cacheDef!.maxBytes));
        cache = this.memoryCache;
      }
    }
    const tracingConfig = snapshot.config.observability?.tracing;
    if (tracingConfig !== undefined) {
      this.tracingDef = {
        otlpEndpoint: tracingConfig.otlpEndpoint,
        sampleRatio: tracingConfig.sampleRatio ?? 0.1,
        serviceName: tracingConfig.serviceName ?? "aigw",
        headers: { ...(tracingConfig.headers ?? {}) },
      };
      this.tracing = deps.registry.acquire("tracing", this.tracingDef, () => new deps.modules.tracing!.Tracing(this.tracingDef!, packageVersion(), deps.random));
    }
    const server = snapshot.config.server ?? {};
    const trust = compileTrust(server.trustProxy);
    this.resources = {
      upstreams,
      authenticators,
      consumers: snapshot.consumers,
      defaultConsumers: new Map([...snapshot.authProviders.values()].flatMap((p) => (p.defaultConsumer === undefined ? [] : [[p.name, p.defaultConsumer] as const]))),
      rateLimits: {
        store,
        onError: state.redis?.onError ?? "allow",
        policies: new Map([...snapshot.policies].map(([name, p]) => [name, runtimePolicy(p)])),
      },
      gatewayRateLimits: snapshot.gatewayRateLimits,
      ai: {
        defaultMaxTokens: snapshot.config.defaults?.maxTokens ?? 4096,
        prices: new PriceList(snapshot.config.pricing ?? []),
        ledger,
        cache,
      },
      maxBodyBytes: server.limits?.maxBodyBytes ?? 10 * 1024 * 1024,
      requestTimeoutMs: server.limits?.requestTimeoutMs ?? 300_000,
      trusts: trust.trusts,
      clientIp: trust.clientIp,
      random: deps.random,
      clock: deps.clock,
      metrics: deps.metrics,
      logger: redactingLogger(deps.logger, snapshot.config.observability?.logs?.redact),
      tracing: this.tracing,
      plugins: deps.modules.plugins ?? null,
    };
    this.routes = snapshot.routes.map((route) => this.assembleRoute(route));
    this.builtins = assembleBuiltins(snapshot, this.resources);
  }

  private assembleRoute(route: CompiledRoute): AssembledRoute {
    const { handler, stages } = composeChain(route, this.resources, createProxy(route, this.resources));
    return { compiled: route, handle: handler, stages };
  }

  /** Waits (at most `timeoutMs`) for connections the generation needs, such as Redis. */
  async ready(timeoutMs = 2000): Promise<void> {
    if (this.redis !== null) await this.redis.ready(timeoutMs);
  }

  enter(): void {
    this.inFlight++;
  }

  leave(): void {
    this.inFlight--;
    if (this.retired && this.inFlight === 0) void this.release();
  }

  get active(): number {
    return this.inFlight;
  }

  /** No new requests will start here; resolves once the last one ended and the pools were released. */
  retire(): Promise<void> {
    this.retired = true;
    this.whenRetired ??= new Promise<void>((resolve) => {
      this.onReleased = resolve;
    });
    if (this.inFlight === 0) void this.release();
    return this.whenRetired;
  }

  private release(): Promise<void> {
    this.released ??= Promise.all(
      [
        ...[...this.resources.upstreams.values()].flatMap((u) => (u.pool === null ? [] : [this.registry.release("pool", u.definition, u.pool)])),
        ...this.authDefs.map((def) => this.registry.release("auth", def, this.resources.authenticators.get(def.name)!)),
        ...(this.redis === null ? [] : [this.registry.release("redis", this.redisDef, this.redis)]),
        ...(this.memory === null ? [] : [this.registry.release("memory-store", this.memoryDef, this.memory)]),
        ...(this.ledger === null ? [] : [this.registry.release("memory-ledger", {}, this.ledger)]),
        ...(this.memoryCache === null ? [] : [this.registry.release("memory-cache", this.cacheDef, this.memoryCache)]),
        ...(this.tracing === null ? [] : [this.registry.release("tracing", this.tracingDef, this.tracing)]),
      ],
    ).then(() => this.onReleased?.());
    return this.released;
  }
}
