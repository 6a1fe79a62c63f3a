import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SnapshotBuilder } from "../reload/builder.js";
import { Reloader, type ReloadRecord } from "../reload/reloader.js";
import { watchConfig, type ConfigWatcher } from "../reload/watcher.js";
import { createAdminServer } from "../server/admin.js";
import { reloadRoutes } from "../server/admin-reload.js";
import { listen, urlOf } from "../server/listen.js";
import type { ServeOptions } from "../server/serve.js";
import { clusterAdminSource } from "./admin-source.js";
import { ClusterPrimary, type ClusterPrimaryOptions } from "./primary.js";

export interface ServeClusterOptions extends ServeOptions {
  /** Worker processes (≥ 2; one is the plain single-process `serve`). */
  workers: number;
  /** The worker entry script; the built `dist/cli/cluster-worker.js` by default. */
  exec?: string;
  restart?: ClusterPrimaryOptions["restart"];
}

export interface ServingCluster {
  readonly primary: ClusterPrimary;
  readonly reloader: Reloader;
  readonly dataUrl: string;
  readonly adminUrl: string;
  /** Stops watching, drains every worker (DESIGN.md 6), then closes the admin listener. Idempotent. */
  stop(): Promise<void>;
}

/** The compiled worker entry: in dist/ next to this module's folder, or dist/ when running from src/ (tests). */
export function workerEntry(): string {
  const sibling = fileURLToPath(new URL("../cli/cluster-worker.js", import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL("../../dist/cli/cluster-worker.js", import.meta.url));
}

/**
 * `aigw serve --workers N`: this process is the primary. It loads and
 * reloads the config (watcher, SIGHUP via the caller, `POST /admin/reload`)
 * and runs the admin listener; N forked workers serve the data listener on
 * one shared port (node:cluster). Resolves with null when the first load
 * fails or the workers cannot start (the reason is in the record).
 */
export async function serveCluster(options: ServeClusterOptions): Promise<{ serving: ServingCluster | null; first: ReloadRecord }> {
  const file = resolve(options.cwd, options.config);
  const baseDir = dirname(file);
  const builder = new SnapshotBuilder({ inProcess: options.worker === false });
  const primary = new ClusterPrimary({
    workers: options.workers,
    exec: options.exec ?? workerEntry(),
    env: options.env,
    file,
    baseDir,
    allowPluginPaths: options.allowPluginPaths ?? [],
    logger: options.logger,
    clock: options.clock,
    ...(options.restart === undefined ? {} : { restart: options.restart }),
  });
  const reloader = new Reloader({ file, baseDir, env: options.env, readFile: options.readFile, target: primary.target, builder, logger: options.logger, clock: options.clock, allowPluginPaths: options.allowPluginPaths ?? [] });
  const first = await reloader.reload("startup");
  const active = primary.activeConfig;
  if (first.result !== "success" || active === null || primary.dataUrl === null) {
    await primary.stop();
    await builder.close();
    return { serving: null, first };
  }
  const admin: Server = createAdminServer(clusterAdminSource(primary, options.logger), reloadRoutes(reloader));
  let adminUrl: string;
  try {
    const adminAddress = await listen(admin, active.snapshot.config.server.admin);
    primary.listenersBound({ admin: adminAddress });
    adminUrl = urlOf(adminAddress);
  } catch (err) {
    await primary.stop();
    await builder.close();
    throw err;
  }
  const watcher: ConfigWatcher | null = options.watch === false ? null : await watchConfig(file, () => void reloader.reload("file"));
  let stopping: Promise<void> | null = null;
  return {
    first,
    serving: {
      primary,
      reloader,
      dataUrl: primary.dataUrl,
      adminUrl,
      stop() {
        stopping ??= (async () => {
          await watcher?.close();
          await primary.stop();
          await new Promise<void>((done) => {
            admin.close(() => done());
            admin.closeAllConnections();
          });
          await builder.close();
          options.logger.info("shutdown complete");
        })();
        return stopping;
      },
    },
  };
}
