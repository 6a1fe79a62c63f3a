import type { Logger } from "pino";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { PluginInstance } from "./instance.js";

/** Plugins that run one after another (one member) or concurrently. */
export interface RuntimeStep {
  readonly concurrent: boolean;
  readonly members: readonly PluginInstance[];
}

/** What a generation shares with the runs of one route. */
export interface RunShared {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Instance → its logger (a pino child with `plugin`), made once per loaded config. */
  readonly loggers: ReadonlyMap<PluginInstance, Logger>;
  readonly hasResponseHooks: boolean;
  readonly hasCompleteHooks: boolean;
  /** The route's steps in run order (access phase, then request phase). */
  readonly steps: readonly RuntimeStep[];
  /** `responders[k]`: the plugins with a response hook among the first k steps, in order. */
  readonly responders: readonly (readonly PluginInstance[])[];
  /** `guards[k]`: the plugins with a completion guard among the first k steps. */
  readonly guards: readonly (readonly PluginInstance[])[];
}

/** A route's plugins as the two plugin stages run them. */
export interface RoutePlugins {
  /** Every step in run order: the access phase's first, then the request phase's. */
  readonly steps: readonly RuntimeStep[];
  /** How many of `steps` are the access phase's. */
  readonly accessSteps: number;
  readonly shared: RunShared;
  /**
   * Response header names a response hook of the route removes on every
   * answer and no hook before it reads (`foldableStrips`): a relay may leave
   * them out of its copy of an upstream's headers.
   */
  readonly responseStrips: readonly string[];
}
