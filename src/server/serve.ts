import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { Clock } from "../deps.js";
import type { Env } from "../config/interpolate.js";
import { GatewayMetrics } from "../observability/metrics.js";
import { SnapshotBuilder } from "../reload/builder.js";
import { Reloader, type ReloadRecord, type ReloadTarget } from "../reload/reloader.js";
import { watchConfig, type ConfigWatcher } from "../reload/watcher.js";
import { reloadRoutes } from "./admin-reload.js";
import { Gateway } from "./gateway.js";
import { startGateway, type RunningGateway } from "./runtime.js";

export interface ServeOptions {
  /** Config file path (relative to `cwd`). */
  config: string;
  cwd: string;
  env: Env;
  readFile: (file: string) => Promise<string>;
  logger: Logger;
  clock: Clock;
  random: () => number;
  /** Watch the file (default true). */
  watch?: boolean;
  /** Parse and check in a worker thread (default true). */
  worker?: boolean;
  /** Folders outside the config's that plugin modules may be loaded from (`--allow-plugin-path`). */
  allowPluginPaths?: readonly string[];
}

export interface ServingGateway extends RunningGateway {
  readonly reloader: Reloader;
  /** Stops watching, then shuts down as DESIGN.md 6 says. */
  stop(): Promise<void>;
}

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

/**
 * Loads the config, starts the listeners, and keeps the config current:
 * file changes (unless `watch: false`) and `POST /admin/reload` reload it;
 * the caller wires signals. Resolves with null when the first load fails
 * (the findings are in the returned record).
 */
export async function serve(options: ServeOptions): Promise<{ serving: ServingGateway | null; first: ReloadRecord }> {
  const file = resolve(options.cwd, options.config);
  const baseDir = dirname(file);
  const builder = new SnapshotBuilder({ inProcess: options.worker === false });
  const { target, gateway } = gatewayTarget(options);
  const reloader = new Reloader({ file, baseDir, env: options.env, readFile: options.readFile, target, builder, logger: options.logger, clock: options.clock, allowPluginPaths: options.allowPluginPaths ?? [] });
  const first = await reloader.reload("startup");
  const gw = gateway();
  if (first.result !== "success" || gw === null) {
    await builder.close();
    return { serving: null, first };
  }
  const running = await startGateway(gw, gw.currentSnapshot()!, { baseDir, adminRoutes: reloadRoutes(reloader) });
  const watcher: ConfigWatcher | null = options.watch === false ? null : await watchConfig(file, () => void reloader.reload("file"));
  let stopping: Promise<void> | null = null;
  return {
    first,
    serving: {
      ...running,
      reloader,
      stop() {
        stopping ??= (async () => {
          await watcher?.close();
          await running.shutdown();
          await builder.close();
        })();
        return stopping;
      },
    },
  };
}
