import type { CompiledRoute } from "../compile/route.js";
import type { Handler } from "./order.js";

/** A compiled route with its request chain composed. */
export interface AssembledRoute {
  readonly compiled: CompiledRoute;
  readonly handle: Handler;
  /** Stage names in order, for `aigw routes` and logs. */
  readonly stages: readonly string[];
}
