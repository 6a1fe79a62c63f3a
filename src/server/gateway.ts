import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { Deps } from "../deps.js";
import { AccessLog } from "../observability/access-log.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { RequestContext } from "../pipeline/types.js";
import { handleRequest } from "../pipeline/handle.js";
import { Generation } from "../reload/generation.js";
import { ResourceRegistry } from "../lifecycle/registry.js";
import type { Discover } from "../auth/oidc.js";
import { loadModules } from "../reload/modules.js";
import { admit, type BoundAddress } from "../reload/admission.js";
import { endRequestTrace } from "../observability/request-trace.js";

export interface GatewayDeps extends Deps {
  metrics: GatewayMetrics;
  registry?: ResourceRegistry;
  /** OIDC discovery (tests pass a fake); openid-client by default. */
  discover?: Discover;
  /** Folders outside the config's that plugin modules may be loaded from (`--allow-plugin-path`). */
  allowPluginPaths?: readonly string[];
}

/**
 * One gateway instance: the current generation behind one reference, the
 * shared resource registry, metrics. `apply` swaps in a new snapshot;
 * requests keep the generation they started on.
 */
export class Gateway {
  readonly metrics: GatewayMetrics;
  readonly registry: ResourceRegistry;
  readonly logger: Logger;
  private generation: Generation | null = null;
  private loadedAt: string | null = null;
  private draining = false;
  private readonly accessLogWriter: AccessLog;
  private accessLog = true;
  private active = 0;
  private started = 0;
  private idleWaiters: (() => void)[] = [];
  /** The admin listener this gateway's config governs, once bound (null: none, or not yet). */
  private adminAddress: BoundAddress | null = null;

  constructor(private readonly deps: GatewayDeps) {
    this.metrics = deps.metrics;
    this.registry = deps.registry ?? new ResourceRegistry();
    this.logger = deps.logger;
    // Access lines carry no headers, bodies or credentials (see access-log.ts); they
    // are written with their own serialiser to this logger's destination, at its level.
    this.accessLogWriter = new AccessLog(deps.logger.child({}, { msgPrefix: "", redact: [] }), deps.clock);
  }

  /** Records where the admin listener is bound: every later config is judged against it (see `admit`). */
  listenersBound(bound: { admin: BoundAddress | null }): void {
    this.adminAddress = bound.admin === null ? null : { address: bound.admin.address, port: bound.admin.port };
  }

  /**
   * Makes `snapshot` current once its connections are up (Redis: at most 2 s);
   * the previous generation is retired once its requests end. A config that
   * would leave the bound admin listener unprotected is refused
   * (ConfigRefused) before anything starts.
   */
  async apply(snapshot: Snapshot): Promise<void> {
    admit(snapshot.config, this.adminAddress);
    const modules = await loadModules(snapshot, this.logger, this.deps.allowPluginPaths);
    const next = new Generation(snapshot, {
      modules,
      registry: this.registry,
      metrics: this.metrics,
      logger: this.logger,
      clock: this.deps.clock,
      random: this.deps.random,
      ...(this.deps.discover === undefined ? {} : { discover: this.deps.discover }),
    });
    await next.ready();
    if (this.draining) next.draining = true;
    const previous = this.generation;
    this.generation = next;
    this.loadedAt = new Date(this.deps.clock.now()).toISOString();
    const logs = snapshot.config.observability.logs;
    this.accessLog = logs.accessLog;
    this.metrics.enabled = snapshot.config.observability.metrics.enabled;
    if (logs.level !== undefined) this.logger.level = logs.level;
    this.metrics.setConfig(snapshot.hash);
    if (previous !== null) void previous.retire();
  }

  currentSnapshot(): Snapshot | null {
    return this.generation?.snapshot ?? null;
  }

  countReload(result: "success" | "failure"): void {
    this.metrics.configReloads.inc({ result });
  }

  get current(): Generation | null {
    return this.generation;
  }

  get activeConfig(): { snapshot: Snapshot; loadedAt: string } | null {
    return this.generation === null ? null : { snapshot: this.generation.snapshot, loadedAt: this.loadedAt! };
  }

  /** Each auth provider's state (OIDC discovery may still be pending), for /ready. */
  authStatus(): Record<string, { ready: boolean; detail?: string }> {
    const out: Record<string, { ready: boolean; detail?: string }> = {};
    for (const [name, a] of this.generation?.resources.authenticators ?? []) out[name] = a.status();
    return out;
  }

  get ready(): boolean {
    return this.generation !== null && !this.draining;
  }

  /** Requests in flight across all generations. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests started since the process began (all generations). */
  get requestsStarted(): number {
    return this.started;
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** /ready turns 503, responses ask clients to close their connections. */
  startDraining(): void {
    this.draining = true;
    if (this.generation !== null) this.generation.draining = true;
  }

  /** The node:http request listener of the data plane. */
  readonly handler = (req: IncomingMessage, res: ServerResponse, scheme: "http" | "https" = "http"): void => {
    const generation = this.generation;
    if (generation === null) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_ready", message: "no config loaded yet" } }));
      return;
    }
    this.active++;
    this.started++;
    this.metrics.inFlight.inc();
    handleRequest(generation, req, res, scheme, this.onComplete);
  };

  private readonly onComplete = (ctx: RequestContext): void => {
    this.active--;
    this.metrics.inFlight.dec();
    if (this.active === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    const route = ctx.route?.compiled.name ?? "(none)";
    this.metrics.recordRequest(route, ctx.req.method ?? "GET", ctx.status, (this.deps.clock.monotonic() - ctx.startedAt) / 1000, ctx.consumer?.name);
    if (ctx.trace !== null) endRequestTrace(ctx, route);
    if (this.accessLog) this.accessLogWriter.write(ctx);
  };

  /** Retires the current generation and cuts every pool (end of shutdown). */
  async close(): Promise<void> {
    const g = this.generation;
    this.generation = null;
    if (g !== null) await Promise.race([g.retire(), new Promise((r) => setTimeout(r, 100).unref())]);
    await this.registry.destroyAll();
  }
}
