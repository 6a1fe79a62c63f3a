import type { Path } from "../pointer.js";
import type { Reporter } from "../source.js";
import type { GatewayConfig } from "../types.js";
import type { Mode } from "../interpolate.js";

/** Where a named object is declared. */
export interface Declaration {
  index: number;
  path: Path;
}

export interface CheckContext {
  readonly config: GatewayConfig;
  readonly reporter: Reporter;
  readonly mode: Mode;
  /** Name → first declaration, per kind. */
  readonly names: {
    readonly upstreams: ReadonlyMap<string, Declaration>;
    readonly auth: ReadonlyMap<string, Declaration>;
    readonly consumers: ReadonlyMap<string, Declaration>;
    readonly rateLimits: ReadonlyMap<string, Declaration>;
    readonly routes: ReadonlyMap<string, Declaration>;
  };
  /** Files named by the config (TLS, plugin modules), resolved against the config's folder. */
  fileExists(path: string): boolean;
  /** Values that held an unset `${VAR}` (validate mode): known only by type. */
  isUnset(path: Path): boolean;
}

export type Check = (ctx: CheckContext) => void;

/** Severity of a finding about something the running gateway needs: error in serve, warning in validate. */
export function serveSeverity(ctx: CheckContext): "error" | "warning" {
  return ctx.mode === "serve" ? "error" : "warning";
}
