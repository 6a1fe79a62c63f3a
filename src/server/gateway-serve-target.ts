import type { Snapshot } from "../compile/snapshot.js";
import { GatewayMetrics } from "../observability/metrics.js";
import type { ReloadTarget } from "../reload/reloader.js";
import type { AdminRoute } from "./admin.js";
import { Gateway } from "./gateway.js";
import { trimGatewayWhenIdle } from "./idle-trim.js";
import { startGateway, type RunningGateway } from "./runtime.js";
import type { ConfigLocation, ServeOptions, ServeTarget } from "./serve-target.js";

/**
 * The reload target of one gateway, which is created with the first
 * snapshot (the metric prefix is read once, from the first config).
 */
export function gatewayTarget(deps: Pick<ServeOptions, "clock" | "logger" | "random" | "allowPluginPaths">): { target: ReloadTarget; gateway(): Gateway | null } {
  let gateway: Gateway | null = null;
  const target: ReloadTarget = {
    currentSnapshot: () => gateway?.currentSnapshot() ?? null,
    async apply(snapshot: Snapshot) {
      gateway ??= new Gateway({
        clock: deps.clock,
        logger: deps.logger,
        random: deps.random,
        allowPluginPaths: deps.allowPluginPaths ?? [],
        metrics: new GatewayMetrics({ prefix: snapshot.config.observability.metrics.prefix, consumerLabel: snapshot.config.observability.metrics.consumerLabel }),
      });
      await gateway.apply(snapshot);
    },
    countReload: (result) => gateway?.countReload(result),
  };
  return { target, gateway: () => gateway };
}

export interface GatewayServeOptions extends ServeOptions {
  /** Hand memory back once the data plane goes quiet (`aigw serve`; see idle-trim.ts). */
  trimWhenIdle?: boolean;
}

/** `aigw serve` in one process: a Gateway with its data and admin listeners. */
export class GatewayServeTarget implements ServeTarget<RunningGateway> {
  readonly reload: ReloadTarget;
  private readonly current: () => Gateway | null;
  private running: RunningGateway | null = null;
  private stopTrimming: () => void = () => undefined;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: GatewayServeOptions,
    private readonly where: ConfigLocation,
  ) {
    const { target, gateway } = gatewayTarget(options);
    this.reload = target;
    this.current = gateway;
  }

  async listen(adminRoutes: readonly AdminRoute[]): Promise<RunningGateway> {
    const gateway = this.current();
    const snapshot = gateway?.currentSnapshot() ?? null;
    if (gateway === null || snapshot === null) throw new Error("the gateway listens only once a config is applied");
    this.running = await startGateway(gateway, snapshot, { baseDir: this.where.baseDir, adminRoutes });
    if (this.options.trimWhenIdle === true) this.stopTrimming = trimGatewayWhenIdle(() => gateway, this.options.env, this.options.logger);
    return this.running;
  }

  describe(): Record<string, unknown> {
    return {};
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopTrimming();
      // Without listeners there is nothing to drain; the gateway may still hold pools from an applied config.
      if (this.running !== null) await this.running.shutdown();
      else await this.current()?.close();
    })();
    return this.closing;
  }
}
