import type { Logger } from "pino";
import type { AdminSource } from "../server/admin.js";
import type { ClusterPrimary } from "./primary.js";

/**
 * The admin listener's view of `serve --workers N`: the config the primary
 * accepted; `/ready` per worker; `/metrics` summed over the primary and
 * every worker; `/admin/upstreams` per worker (each has its own pools,
 * health checks and breakers).
 */
export function clusterAdminSource(primary: ClusterPrimary, logger: Logger): AdminSource {
  return {
    logger,
    get activeConfig() {
      return primary.activeConfig;
    },
    readiness: () => primary.readiness(),
    async metrics() {
      const own = primary.primaryMetrics;
      const enabled = primary.activeConfig?.snapshot.config.observability?.metrics?.enabled ?? true;
      if (own === null || !enabled) return null;
      return own.aggregate(await primary.workerMetrics());
    },
    upstreams: async () => ({ workers: await primary.workerUpstreams() }),
  };
}
