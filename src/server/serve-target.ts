import type { Logger } from "pino";
import type { Env } from "../config/interpolate.js";
import type { Clock } from "../deps.js";
import type { Reloader, ReloadTarget } from "../reload/reloader.js";
import type { AdminRoute } from "./admin.js";

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

/** The config file, as an absolute path and the folder its relative references resolve against. */
export interface ConfigLocation {
  file: string;
  baseDir: string;
}

/** What every way of serving reports once its listeners are bound. */
export interface Listening {
  readonly dataUrl: string;
  readonly adminUrl: string;
}

/**
 * What `serve` runs: one gateway in this process, or a cluster primary and
 * its workers. The control loop (server/serve.ts) owns the config (first
 * load, reloads, watcher, stop); a target owns whatever serves traffic, so
 * both ways of serving share one loop.
 */
export interface ServeTarget<Running extends Listening> {
  /** What the reloader loads every config into, the first one included. */
  readonly reload: ReloadTarget;
  /** Binds the listeners once the first config is applied; `adminRoutes` go on the admin listener. */
  listen(adminRoutes: readonly AdminRoute[]): Promise<Running>;
  /** Fields the `aigw listening` log line adds. */
  describe(): Record<string, unknown>;
  /** Shuts down what the target started (DESIGN.md 6), or what a failed first load or listen left. Idempotent. */
  close(): Promise<void>;
}

/** A target that serves, with the reloader that keeps its config current. */
export type Serving<Running extends Listening> = Running & {
  readonly reloader: Reloader;
  readonly target: ServeTarget<Running>;
  /** Stops watching, closes the target, then the build thread. Idempotent. */
  stop(): Promise<void>;
};
