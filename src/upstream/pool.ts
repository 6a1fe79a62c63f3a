import { Pool, type Dispatcher } from "undici";
import { effectiveTargets } from "../config/kinds.js";
import type { Upstream } from "../config/types.js";
import type { Clock } from "../deps.js";
import type { SharedResource } from "../lifecycle/registry.js";
import { createBalancer, type Balanced, type Balancer } from "./balancers/balancer.js";
import { CircuitBreaker, type BreakerState } from "./breaker.js";
import type { UpstreamRequest } from "./exchange.js";
import type { Cancel } from "../lifecycle/cancel.js";
import { DispatchExchange, type ExchangeListener } from "./dispatch.js";
import { HealthChecker } from "./health.js";
import { RetryBudget } from "./retry-budget.js";

/** One host of an upstream pool, with its own keep-alive connections and state. */
export interface Target extends Balanced {
  /** The target URL without userinfo or query (which may hold credentials): its label in metrics, logs and admin. */
  readonly url: string;
  readonly origin: string;
  /** Host name and port (for traces). */
  readonly host: string;
  readonly port: number;
  /** Path of the target URL without a trailing slash (`""` for none), prepended to every request path. */
  readonly basePath: string;
  readonly weight: number;
  readonly dispatcher: Pool;
  /** Active health (true until health checks say otherwise). */
  healthy: boolean;
  /** Passive outlier detection: not picked before this time (ms). */
  ejectedUntil: number;
  consecutiveFailures: number;
  ejections: number;
  readonly breaker: CircuitBreaker | null;
}

export interface PoolDeps {
  clock: Clock;
  random: () => number;
  /** Breaker state changes (metrics): 0 closed, 1 open, 2 half-open. */
  onBreakerChange?: (upstream: string, target: string, state: BreakerState) => void;
}

/** Consecutive failures that eject a target, and for how long (× ejections, at most 10×). */
const EJECT_AFTER = 5;
const EJECT_BASE_MS = 30_000;

/**
 * An upstream's targets: balancer, active health checks, passive outlier
 * detection, a circuit breaker per target and a retry budget. Built once
 * per upstream definition and shared by every snapshot that keeps it
 * unchanged, so connections, health and breaker state survive reloads.
 */
export class UpstreamPool implements SharedResource {
  readonly name: string;
  readonly definition: Upstream;
  readonly targets: readonly Target[];
  readonly retryBudget: RetryBudget;
  private readonly balancer: Balancer<Target>;
  private readonly health: HealthChecker | null;
  private closed = false;

  constructor(definition: Upstream, private readonly deps: PoolDeps) {
    this.name = definition.name;
    this.definition = definition;
    const timeouts = definition.timeouts;
    const cb = definition.circuitBreaker;
    this.targets = effectiveTargets(definition).map((t) => {
      const url = new URL(t.url);
      const display = `${url.origin}${url.pathname === "/" ? "" : url.pathname}`;
      const target: Target = {
        url: display,
        origin: url.origin,
        host: url.hostname,
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        basePath: url.pathname.replace(/\/+$/, ""),
        weight: t.weight,
        inFlight: 0,
        ewmaMs: 0,
        currentWeight: 0,
        healthy: true,
        ejectedUntil: 0,
        consecutiveFailures: 0,
        ejections: 0,
        breaker:
          cb === undefined
            ? null
            : new CircuitBreaker(
                { failureRatio: cb.failureRatio, minRequests: cb.minRequests, windowMs: cb.windowMs, openMs: cb.openMs, halfOpenRequests: cb.halfOpenRequests },
                deps.clock,
                (state) => deps.onBreakerChange?.(definition.name, display, state),
              ),
        dispatcher: new Pool(url.origin, {
          connections: definition.pool.connections,
          keepAliveTimeout: definition.pool.keepAliveMs,
          connect: { timeout: timeouts.connectMs },
          headersTimeout: timeouts.firstByteMs,
          bodyTimeout: timeouts.requestMs,
        }),
      };
      return target;
    });
    for (const t of this.targets) if (t.breaker !== null) deps.onBreakerChange?.(definition.name, t.url, "closed");
    this.balancer = createBalancer<Target>(definition.balancer, deps.random);
    this.retryBudget = new RetryBudget(definition.retries.budgetRatio, deps.clock);
    const hc = definition.healthCheck;
    this.health =
      hc === undefined || this.targets.length === 0
        ? null
        : new HealthChecker(this.targets, {
            path: hc.path,
            intervalMs: hc.intervalMs,
            timeoutMs: hc.timeoutMs,
            unhealthyThreshold: hc.unhealthyThreshold,
            healthyThreshold: hc.healthyThreshold,
          }, deps.random);
    this.health?.start();
  }

  private isAvailable(t: Target, now: number): boolean {
    return t.healthy && t.ejectedUntil <= now && (t.breaker === null || t.breaker.available);
  }

  private allAvailable(now: number): boolean {
    for (let i = 0; i < this.targets.length; i++) if (!this.isAvailable(this.targets[i]!, now)) return false;
    return true;
  }

  /**
   * A target to send to, preferring ones not in `avoid` (tried already), or
   * undefined when none can take traffic (unhealthy, ejected or open).
   * Takes a half-open probe slot when the breaker is half-open.
   */
  pick(avoid?: ReadonlySet<Target>): Target | undefined {
    const now = this.deps.clock.now();
    // Every target available (the usual case): the target list itself, no copy.
    let available = this.allAvailable(now) ? this.targets : this.targets.filter((t) => this.isAvailable(t, now));
    if (avoid !== undefined && avoid.size > 0) {
      const fresh = available.filter((t) => !avoid.has(t));
      if (fresh.length > 0) available = fresh;
    }
    while (available.length > 0) {
      const target = this.balancer(available);
      if (target.breaker === null || target.breaker.tryAcquire()) return target;
      available = available.filter((t) => t !== target);
    }
    return undefined;
  }

  /**
   * Sends a request to one target through its connection pool; the
   * listener hears the response head (its body not read yet) or the
   * failure. `signal` aborts the exchange at any point. Call `finish` when
   * the exchange ends.
   */
  exchange(target: Target, request: UpstreamRequest, signal: Cancel, listener: ExchangeListener): void {
    target.inFlight++;
    const options: Dispatcher.DispatchOptions = { origin: target.origin, path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body };
    target.dispatcher.dispatch(options, new TargetExchange(signal, listener, target, this.deps.clock));
  }

  /**
   * Ends an exchange: in-flight count, breaker and outlier detection. A
   * failure is a connect error, a timeout, a reset or a 5xx; a 4xx (429
   * included) is the target working as designed.
   */
  finish(target: Target, success: boolean, sent = true): void {
    if (sent) target.inFlight--;
    target.breaker?.record(success);
    if (success) {
      target.consecutiveFailures = 0;
      return;
    }
    target.consecutiveFailures++;
    if (target.consecutiveFailures < EJECT_AFTER) return;
    const now = this.deps.clock.now();
    // Never eject the last target that can take traffic.
    const others = this.targets.filter((t) => t !== target && this.isAvailable(t, now));
    if (others.length === 0) return;
    target.ejections = Math.min(target.ejections + 1, 10);
    target.ejectedUntil = now + EJECT_BASE_MS * target.ejections;
    target.consecutiveFailures = 0;
  }

  /** Targets, health, breaker and in-flight, for GET /admin/upstreams. */
  status(): Record<string, unknown>[] {
    const now = this.deps.clock.now();
    return this.targets.map((t) => ({
      url: t.url,
      weight: t.weight,
      healthy: t.healthy,
      ejected: t.ejectedUntil > now,
      breaker: t.breaker?.state ?? "none",
      inFlight: t.inFlight,
      ewmaMs: Math.round(t.ewmaMs * 100) / 100,
    }));
  }

  /** Stops taking requests and health checks; resolves when in-flight ones have finished. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.health?.stop();
    await Promise.all(this.targets.map((t) => t.dispatcher.close().catch(() => undefined)));
  }

  /** Cuts every connection now. Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    this.health?.stop();
    await Promise.all(this.targets.map((t) => t.dispatcher.destroy().catch(() => undefined)));
  }
}

/** An exchange with one target, timed to its head for the target's latency average (the least-latency balancer reads it). */
class TargetExchange extends DispatchExchange {
  private readonly started: number;

  constructor(
    cancel: Cancel,
    listener: ExchangeListener,
    private readonly target: Target,
    private readonly clock: Clock,
  ) {
    super(cancel, listener);
    this.started = clock.monotonic();
  }

  protected override headArrived(): void {
    const latency = this.clock.monotonic() - this.started;
    const target = this.target;
    target.ewmaMs = target.ewmaMs === 0 ? latency : target.ewmaMs * 0.7 + latency * 0.3;
  }
}
