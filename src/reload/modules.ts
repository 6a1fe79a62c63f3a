import pino, { type Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { PreparedPlugins } from "../plugins/load.js";
import type { AuthModules } from "../auth/create.js";

/**
 * Modules only some configs need, loaded when a snapshot needs them: JWT
 * and OIDC verification (jose), the Redis client (ioredis) and tracing
 * (OpenTelemetry). A gateway with API keys, in-memory state and no tracing
 * never loads them, which keeps its memory small.
 */
export interface OptionalModules extends AuthModules {
  redis?: typeof import("../state/redis.js");
  tracing?: typeof import("../observability/tracing.js");
  /** The plugin instances of the snapshot (custom modules imported, `create` called), made before it is served. */
  plugins?: PreparedPlugins;
}

/** Rejects when a plugin cannot be prepared (a module that fails to load, a `create` that throws): the snapshot is then not served. */
export async function loadModules(snapshot: Snapshot, logger?: Logger, allowPluginPaths: readonly string[] = []): Promise<OptionalModules> {
  const types = new Set([...snapshot.authProviders.values()].map((p) => p.type));
  const out: OptionalModules = {};
  if (types.has("jwt")) out.jwt = await import("../auth/jwt.js");
  if (types.has("oidc")) out.oidc = await import("../auth/oidc.js");
  if (snapshot.config.state.redis !== undefined) out.redis = await import("../state/redis.js");
  if (snapshot.config.observability.tracing !== undefined) out.tracing = await import("../observability/tracing.js");
  if (snapshot.config.gateway.plugins.length > 0 || snapshot.routes.some((r) => r.plugins.length > 0)) {
    const { preparePlugins } = await import("../plugins/load.js");
    out.plugins = await preparePlugins(snapshot, { logger: logger ?? pino({ level: "silent" }), allowPluginPaths });
  }
  return out;
}
