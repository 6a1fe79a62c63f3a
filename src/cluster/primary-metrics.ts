import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The primary's own metrics under `serve --workers N`: config reloads and
 * the active config (the primary owns both, so the workers' copies are
 * dropped when aggregating), the cluster's workers, and the primary's
 * process metrics (summed with the workers': totals for the whole gateway).
 */
export class PrimaryMetrics {
  readonly registry = new Registry();
  readonly configReloads: Counter<"result">;
  readonly configInfo: Gauge<"hash">;
  readonly restarts: Counter;
  readonly applyFailures: Counter;
  /** Metric names only the primary reports. */
  private readonly owned: Set<string>;

  constructor(options: { prefix: string; liveWorkers: () => number }) {
    const p = options.prefix;
    const registers = [this.registry];
    this.configReloads = new Counter({ name: `${p}config_reloads_total`, help: "Config loads and reloads, by result.", labelNames: ["result"], registers });
    this.configInfo = new Gauge({ name: `${p}config_info`, help: "The active config: 1 for its hash (first 12 hex digits).", labelNames: ["hash"], registers });
    this.restarts = new Counter({ name: `${p}cluster_worker_restarts_total`, help: "Workers that exited unexpectedly and were forked again.", registers });
    this.applyFailures = new Counter({
      name: `${p}cluster_worker_apply_failures_total`,
      help: "Accepted configs a worker could not build or apply (it kept its running config).",
      registers,
    });
    new Gauge({
      name: `${p}cluster_workers`,
      help: "Workers serving the data plane.",
      registers,
      collect() {
        this.set(options.liveWorkers());
      },
    });
    this.owned = new Set([`${p}config_reloads_total`, `${p}config_info`]);
    collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  setConfig(hash: string): void {
    this.configInfo.reset();
    this.configInfo.set({ hash: hash.replace(/^sha256:/, "").slice(0, 12) }, 1);
  }

  /** One exposition of the primary's metrics and every worker's (`getMetricsAsJSON()` each), summed by prom-client's AggregatorRegistry. */
  async aggregate(workers: readonly unknown[][]): Promise<string> {
    const own = await this.registry.getMetricsAsJSON();
    const theirs = workers.map((metrics) => metrics.filter((m) => !this.owned.has((m as { name?: string }).name ?? "")));
    return AggregatorRegistry.aggregate([own, ...theirs]).metrics();
  }
}
