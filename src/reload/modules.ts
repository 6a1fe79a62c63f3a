import pino, { type Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { PreparedPlugins } from "../plugins/load.js";
import type { AuthModules } from "../auth/create.js";
import { loadTranslators, type Translators } from "../ai/registry.js";

/**
 * Modules only some configs need, loaded when a snapshot needs them: JWT
 * and OIDC verification (jose), the Redis client (ioredis), tracing
 * (OpenTelemetry) and the provider translators (bedrock's AWS code). A
 * gateway with API keys, in-memory state, no tracing and OpenAI-shaped
 * upstreams never loads them, which keeps its start-up short and its memory
 * small.
 */
export interface OptionalModules extends AuthModules {
  /** The translators of the snapshot's upstream types (anthropic, bedrock), and only those. */
  translators: Translators;
  redis?: typeof import("../state/redis.js");
  tracing?: typeof import("../observability/tracing.js");
  /** The plugin instances of the snapshot (custom modules imported, `create` called), made before it is served. */
  plugins?: PreparedPlugins;
}

/** Rejects when a plugin cannot be prepared (a module that fails to load, a `create` that throws): the snapshot is then not served. */
export async function loadModules(snapshot: Snapshot, logger?: Logger, allowPluginPaths: readonly string[] = []): Promise<OptionalModules> {
  const types = new Set([...snapshot.authProviders.values()].map((p) => p.type));
  const out: OptionalModules = { translators: await loadTranslators(new Set([...snapshot.upstreams.values()].map((u) => u.type))) };
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
