import { Pool } from "undici";
import { effectiveTargets } from "../config/kinds.js";
import type { Upstream } from "../config/types.js";
import { RoundRobin } from "./balancers/round-robin.js";
import type { UpstreamRequest, UpstreamResponse } from "./exchange.js";

/** One host of an upstream pool, with its own keep-alive connection pool. */
export interface Target {
  /** The target URL as configured. */
  readonly url: string;
  readonly origin: string;
  /** Path of the target URL without a trailing slash (`""` for none), prepended to every request path. */
  readonly basePath: string;
  readonly weight: number;
  readonly dispatcher: Pool;
  inFlight: number;
}

/**
 * An upstream's targets and how to pick one. Built once per upstream
 * definition and shared by every snapshot that keeps the definition
 * unchanged (see reload/registry.ts).
 */
export class UpstreamPool {
  readonly name: string;
  readonly definition: Upstream;
  readonly targets: readonly Target[];
  private readonly balancer: RoundRobin<Target>;
  private closed = false;

  constructor(definition: Upstream) {
    this.name = definition.name;
    this.definition = definition;
    const timeouts = definition.timeouts ?? {};
    this.targets = effectiveTargets(definition).map((t) => {
      const url = new URL(t.url);
      return {
        url: t.url,
        origin: url.origin,
        basePath: url.pathname.replace(/\/+$/, ""),
        weight: t.weight ?? 1,
        inFlight: 0,
        dispatcher: new Pool(url.origin, {
          connections: definition.pool?.connections ?? 128,
          keepAliveTimeout: definition.pool?.keepAliveMs ?? 4000,
          connect: { timeout: timeouts.connectMs ?? 5000 },
          headersTimeout: timeouts.firstByteMs ?? 60000,
          bodyTimeout: timeouts.requestMs ?? 300000,
        }),
      };
    });
    this.balancer = new RoundRobin(this.targets);
  }

  /** The next target, or undefined when none can take traffic. */
  pick(): Target | undefined {
    return this.balancer.pick();
  }

  /** Sends a request to one target through its connection pool. */
  async send(target: Target, request: UpstreamRequest): Promise<UpstreamResponse> {
    target.inFlight++;
    try {
      const res = await target.dispatcher.request({
        origin: target.origin,
        path: request.path,
        method: request.method as "GET",
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } finally {
      target.inFlight--;
    }
  }

  /** Stops taking requests; resolves when in-flight ones have finished. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.targets.map((t) => t.dispatcher.close().catch(() => undefined)));
  }

  /** Cuts every connection now. Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all(this.targets.map((t) => t.dispatcher.destroy().catch(() => undefined)));
  }
}
