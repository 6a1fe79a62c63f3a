import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import type { ReloadRecord, ReloadTarget } from "../reload/reloader.js";
import { createAdminServer, type AdminRoute } from "../server/admin.js";
import { listen, urlOf } from "../server/listen.js";
import { serveTarget } from "../server/serve.js";
import type { ConfigLocation, ServeOptions, ServeTarget, Serving } from "../server/serve-target.js";
import { clusterAdminSource } from "./admin-source.js";
import { ClusterPrimary, type ClusterPrimaryOptions } from "./primary.js";

export interface ServeClusterOptions extends ServeOptions {
  /** Worker processes (≥ 2; one is the plain single-process `serve`). */
  workers: number;
  /** The worker entry script; the built `dist/cli/cluster-worker.js` by default. */
  exec?: string;
  restart?: ClusterPrimaryOptions["restart"];
}

/** A primary whose workers serve the data listener, and its own admin listener. */
export interface RunningCluster {
  readonly primary: ClusterPrimary;
  readonly dataUrl: string;
  readonly adminUrl: string;
}

export type ServingCluster = Serving<RunningCluster>;

/** The compiled worker entry: in dist/ next to this module's folder, or dist/ when running from src/ (tests). */
export function workerEntry(): string {
  const sibling = fileURLToPath(new URL("../cli/cluster-worker.js", import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL("../../dist/cli/cluster-worker.js", import.meta.url));
}

/**
 * `aigw serve --workers N`: this process is the primary. It loads the
 * config (the primary's reload target forks the workers on the first
 * apply and rolls out the next ones) and runs the admin listener; N forked
 * workers serve the data listener on one shared port (node:cluster).
 */
export class ClusterServeTarget implements ServeTarget<RunningCluster> {
  readonly primary: ClusterPrimary;
  private admin: Server | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: ServeClusterOptions,
    where: ConfigLocation,
  ) {
    this.primary = new ClusterPrimary({
      workers: options.workers,
      exec: options.exec ?? workerEntry(),
      env: options.env,
      ...where,
      allowPluginPaths: options.allowPluginPaths ?? [],
      logger: options.logger,
      clock: options.clock,
      ...(options.restart === undefined ? {} : { restart: options.restart }),
    });
  }

  get reload(): ReloadTarget {
    return this.primary.target;
  }

  async listen(adminRoutes: readonly AdminRoute[]): Promise<RunningCluster> {
    const active = this.primary.activeConfig;
    const dataUrl = this.primary.dataUrl;
    if (active === null || dataUrl === null) throw new Error("the cluster listens only once its workers have started");
    const admin = createAdminServer(clusterAdminSource(this.primary, this.options.logger), adminRoutes);
    const adminAddress = await listen(admin, active.snapshot.config.server.admin);
    this.admin = admin;
    this.primary.listenersBound({ admin: adminAddress });
    return { primary: this.primary, dataUrl, adminUrl: urlOf(adminAddress) };
  }

  describe(): Record<string, unknown> {
    return { workers: this.options.workers, pids: this.primary.list().map((w) => w.pid) };
  }

  /** Drains every worker (DESIGN.md 6), then closes the admin listener. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.primary.stop();
      const admin = this.admin;
      if (admin === null) return;
      await new Promise<void>((done) => {
        admin.close(() => done());
        admin.closeAllConnections();
      });
      this.options.logger.info("shutdown complete");
    })();
    return this.closing;
  }
}

/** Serves with `options.workers` processes; resolves with null when the first load fails or the workers cannot start (the reason is in the record). */
export function serveCluster(options: ServeClusterOptions): Promise<{ serving: ServingCluster | null; first: ReloadRecord }> {
  return serveTarget(options, (where) => new ClusterServeTarget(options, where));
}
