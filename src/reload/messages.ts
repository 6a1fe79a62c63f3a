import type { Diagnostic } from "../config/diagnostic.js";
import type { Env, Mode } from "../config/interpolate.js";
import type { Position } from "../config/source.js";
import type { GatewayConfig, Route } from "../config/types.js";
import type { ChangeSummary } from "../plan/summary.js";

/** Main thread → build worker. */
export interface BuildRequest {
  id: number;
  text: string;
  file: string;
  mode: Mode;
  env: Env;
  /** Folder that relative file references (TLS, plugin modules) resolve against. */
  baseDir: string;
  /** Canonical JSON of the running config, to summarise what changes. */
  previousCanonical: string | null;
  /** Folders outside `baseDir` that plugin modules may be loaded from (`--allow-plugin-path`). */
  allowPluginPaths?: readonly string[];
}

/**
 * Build worker → main thread: first the head (everything but the routes),
 * then the routes in chunks, each its own message, so the main thread never
 * deserialises a large config in one go.
 */
export type BuildMessage =
  | {
      type: "head";
      id: number;
      diagnostics: Diagnostic[];
      ok: boolean;
      hash?: string;
      canonical?: string;
      config?: Omit<GatewayConfig, "routes">;
      routeCount?: number;
      routePositions?: Position[];
      summary?: ChangeSummary;
      /** Values the config took from the environment (longest first): kept out of what is logged about this config. */
      secrets?: string[];
    }
  | { type: "routes"; id: number; routes: Route[] }
  | { type: "end"; id: number }
  | { type: "crash"; id: number; message: string };
