import type { Logger } from "pino";
import type { CompiledRoute } from "../compile/route.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { Clock } from "../deps.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import { compileTrust } from "../net/client-ip.js";
import { composeChain } from "../pipeline/order.js";
import { createProxy } from "../pipeline/proxy.js";
import { assembleBuiltins } from "../pipeline/builtins.js";
import { MockProvider } from "../upstream/providers/mock.js";
import { UpstreamPool } from "../upstream/pool.js";

import type { Authenticator } from "../auth/authenticator.js";
import { createAuthenticator } from "../auth/create.js";
import type { Discover } from "../auth/oidc.js";
import { MemoryStore } from "../ratelimit/memory-store.js";
import { RedisStore } from "../ratelimit/redis-store.js";
import type { RateLimitStore } from "../ratelimit/store.js";
import { runtimePolicy } from "../ratelimit/policy.js";
import type { RedisConnection, RedisSettings } from "../state/redis.js";
import type { OptionalModules } from "./modules.js";
import { MemoryLedger, RedisLedger, type UsageLedger } from "../usage/ledger.js";
import { PriceList } from "../usage/pricing.js";
import { MemoryCache, RedisCache, type ResponseCache } from "../cache/store.js";
import type { Lease, ResourceRegistry, SharedResource } from "../lifecycle/registry.js";
import type { AssembledRoute, BuiltinRoutes, RequestResources, ServingGeneration, UpstreamRuntime } from "../pipeline/types.js";
import type { Tracing, TracingSettings } from "../observability/tracing.js";
import { packageVersion } from "../version.js";

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

/** Takes a lease on a shared resource for this generation (kept until it retires). */
type Take = <T extends SharedResource>(kind: string, def: unknown, create: () => T) => T;

/** One pool per upstream (the mock answers in-process). */
function leaseUpstreams(snapshot: Snapshot, deps: AssembleDeps, take: Take): Map<string, UpstreamRuntime> {
  const upstreams = new Map<string, UpstreamRuntime>();
  for (const [name, def] of snapshot.upstreams) {
    if (def.type === "mock") {
      upstreams.set(name, { definition: def, pool: null, mock: new MockProvider(def, deps.clock) });
      continue;
    }
    const pool = take("pool", def, () => new UpstreamPool(def, { clock: deps.clock, random: deps.random, onBreakerChange: (u, t, s) => deps.metrics.setBreaker(u, t, s) }));
    upstreams.set(name, { definition: def, pool, mock: null });
  }
  return upstreams;
}

function leaseAuthenticators(snapshot: Snapshot, deps: AssembleDeps, take: Take): Map<string, Authenticator> {
  const authenticators = new Map<string, Authenticator>();
  const options = { now: () => deps.clock.now(), ...(deps.discover === undefined ? {} : { discover: deps.discover }) };
  for (const [name, def] of snapshot.authProviders) authenticators.set(name, take("auth", def, () => createAuthenticator(def, deps.modules, options)));
  return authenticators;
}

/** Rate-limit counters, the usage ledger and the response cache: in Redis when `state.redis` is set, else in memory. */
function leaseState(snapshot: Snapshot, deps: AssembleDeps, take: Take): { store: RateLimitStore; ledger: UsageLedger; cache: ResponseCache | null; redis: RedisConnection | null } {
  const state = snapshot.config.state;
  const caching = snapshot.routes.some((r) => r.cache !== null);
  if (state.redis !== undefined) {
    const redisDef: RedisSettings = { url: state.redis.url, timeoutMs: state.redis.timeoutMs };
    const redis = take("redis", redisDef, () => new deps.modules.redis!.RedisConnection(redisDef));
    const prefix = state.redis.keyPrefix;
    return { store: new RedisStore(redis.client, prefix), ledger: new RedisLedger(redis.client, prefix, deps.clock), cache: caching ? new RedisCache(redis.client, prefix) : null, redis };
  }
  const memoryDef = { maxKeys: state.memory.maxKeys };
  const store = take("memory-store", memoryDef, () => new MemoryStore(deps.clock, memoryDef.maxKeys, undefined, { onOverflow: (policy) => deps.metrics.rateLimitOverflow.inc({ policy }) }));
  const ledger = take("memory-ledger", {}, () => new MemoryLedger(deps.clock));
  const cacheDef = { maxBytes: state.memory.cacheMaxBytes };
  const cache = caching ? take("memory-cache", cacheDef, () => new MemoryCache(deps.clock, cacheDef.maxBytes)) : null;
  return { store, ledger, cache, redis: null };
}

/** The OpenTelemetry exporter, when `observability.tracing` is set. */
function leaseTracing(snapshot: Snapshot, deps: AssembleDeps, take: Take): Tracing | null {
  const config = snapshot.config.observability.tracing;
  if (config === undefined) return null;
  const def: TracingSettings = { otlpEndpoint: config.otlpEndpoint, sampleRatio: config.sampleRatio, serviceName: config.serviceName, headers: { ...(config.headers ?? {}) } };
  return take("tracing", def, () => new deps.modules.tracing!.Tracing(def, packageVersion(), deps.random));
}

/**
 * A snapshot made runnable: each route's chain composed once, shared
 * resources leased from the registry. Requests hold the generation they
 * started on; a retired generation gives its leases back when its last
 * request ends, or when the grace runs out (`server.shutdown.graceMs`), so
 * one long stream cannot keep a removed pool open: the registry then
 * closes the pool, and destroys it if it has not closed within the grace.
 */
export class Generation implements ServingGeneration {
  readonly snapshot: Snapshot;
  readonly resources: RequestResources;
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
  private graceTimer: NodeJS.Timeout | null = null;
  private readonly leases: Lease<SharedResource>[] = [];
  private readonly redis: RedisConnection | null;

  constructor(snapshot: Snapshot, deps: AssembleDeps) {
    this.snapshot = snapshot;
    const graceMs = snapshot.config.server.shutdown.graceMs;
    const take: Take = (kind, def, create) => {
      const lease = deps.registry.acquire(kind, def, create, graceMs);
      this.leases.push(lease);
      return lease.resource;
    };
    const state = leaseState(snapshot, deps, take);
    this.redis = state.redis;
    const server = snapshot.config.server;
    const trust = compileTrust(server.trustProxy);
    this.resources = {
      upstreams: leaseUpstreams(snapshot, deps, take),
      authenticators: leaseAuthenticators(snapshot, deps, take),
      consumers: snapshot.consumers,
      defaultConsumers: new Map([...snapshot.authProviders.values()].flatMap((p) => (p.defaultConsumer === undefined ? [] : [[p.name, p.defaultConsumer] as const]))),
      rateLimits: {
        store: state.store,
        onError: snapshot.config.state.redis?.onError ?? "allow",
        policies: new Map([...snapshot.policies].map(([name, p]) => [name, runtimePolicy(p)])),
      },
      gatewayRateLimits: snapshot.gatewayRateLimits,
      ai: { defaultMaxTokens: snapshot.config.defaults.maxTokens, prices: new PriceList(snapshot.config.pricing), ledger: state.ledger, cache: state.cache, translators: deps.modules.translators },
      maxBodyBytes: server.limits.maxBodyBytes,
      requestTimeoutMs: server.limits.requestTimeoutMs,
      trusts: trust.trusts,
      clientIp: trust.clientIp,
      random: deps.random,
      clock: deps.clock,
      metrics: deps.metrics,
      logger: redactingLogger(deps.logger, snapshot.config.observability.logs.redact),
      tracing: leaseTracing(snapshot, deps, take),
      plugins: deps.modules.plugins ?? null,
    };
    this.routes = snapshot.routes.map((route) => this.assembleRoute(route));
    this.builtins = assembleBuiltins(snapshot, this.resources);
  }

  private assembleRoute(route: CompiledRoute): AssembledRoute {
    const { run, stages } = composeChain(route, this.resources, createProxy(route, this.resources));
    return { compiled: route, run, stages };
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

  /**
   * No new requests will start here; resolves once the leases were given
   * back: when the last request ended, or after `graceMs` with requests
   * still running (their resources then close gracefully around them).
   */
  retire(graceMs = this.snapshot.config.server.shutdown.graceMs): Promise<void> {
    this.retired = true;
    this.whenRetired ??= new Promise<void>((resolve) => {
      this.onReleased = resolve;
    });
    if (this.inFlight === 0) void this.release();
    else if (graceMs > 0 && this.graceTimer === null) {
      this.graceTimer = setTimeout(() => void this.release(), graceMs);
      this.graceTimer.unref();
    }
    return this.whenRetired;
  }

  private release(): Promise<void> {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.released ??= Promise.all(this.leases.map((lease) => lease.release())).then(() => this.onReleased?.());
    return this.released;
  }
}
