import type { CanonicalConfig } from "../config/canonical.js";
import type { AuthProvider, Consumer, GatewayConfig, Upstream } from "../config/types.js";
import type { Glob } from "./router/glob.js";

/** A consumer with its `models` allow-list compiled once (null: every model). */
export interface CompiledConsumer extends Consumer {
  readonly modelGlob: Glob | null;
}
import type { CompiledRoute } from "./route.js";
import type { Router } from "./router/router.js";

export interface CompiledPolicy {
  readonly name: string;
  readonly algorithm: "token_bucket" | "leaky_bucket" | "sliding_window" | "fixed_window";
  readonly limit: number;
  readonly windowMs: number;
  /** `consumer`, `ip`, `route`, `global`, `header:<name>` or `claim:<name>`. */
  readonly key: string;
  readonly cost: "requests" | "tokens";
  readonly mode: "enforce" | "shadow";
}

/**
 * One compiled, deeply frozen version of the config. A request reads the
 * current snapshot once and keeps it to its end.
 */
export interface Snapshot {
  /** `sha256:<hex>` of the canonical form. */
  readonly hash: string;
  readonly file: string;
  /** Sorted, defaults filled, secrets redacted: what diff, plan and /admin/config show. */
  readonly canonical: CanonicalConfig;
  /** The validated config with defaults and secrets. Never print it. */
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly routes: readonly CompiledRoute[];
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly authProviders: ReadonlyMap<string, AuthProvider>;
  readonly consumers: ReadonlyMap<string, CompiledConsumer>;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  readonly gatewayRateLimits: readonly string[];
}

/**
 * Object.freeze, all the way down. Maps and Sets are frozen as objects (their
 * types are read-only); already-frozen subtrees are skipped.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k);
      deepFreeze(v);
    }
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
