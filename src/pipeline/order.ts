import type { CompiledRoute } from "../compile/route.js";
import type { RequestContext } from "./context.js";
import type { GenerationResources } from "../reload/generation.js";
import { authStage } from "./auth.js";
import { rateLimitStage } from "./ratelimit.js";
import { usageStage } from "./ai/usage-stage.js";
import { cacheStage } from "./ai/cache-stage.js";
import { accessPluginStage, requestPluginStage } from "../plugins/stage.js";

/** Handles a request to its end (answers it, or throws an HttpError). */
export type Handler = (ctx: RequestContext) => Promise<void>;

/** A stage does its part and calls `next`, or answers and does not. */
export type Stage = (ctx: RequestContext, next: Handler) => Promise<void>;

export interface StageFactory {
  readonly name: string;
  /** The stage for this route, or null when the route does not need it (left out, not skipped per request). */
  create(route: CompiledRoute, resources: GenerationResources): Stage | null;
}

/**
 * The one place that fixes the order of the request stages (DESIGN.md 5
 * and 11): route match (done before the chain) → access plugins (`cors`,
 * `ip-allow`, `ip-deny`) → auth (scopes, model allow-list) → request
 * plugins (every other plugin, custom ones included) → usage (budget,
 * metering) → rate limits → cache → proxy (terminal: target, retries,
 * fallback, translation). The chain of each route is composed once per
 * snapshot by `composeChain`; a stage a route does not need is left out.
 */
export const STAGE_ORDER: readonly StageFactory[] = [accessPluginStage, authStage, requestPluginStage, usageStage, rateLimitStage, cacheStage];

/** Composes a route's stages around the terminal handler, once. */
export function composeChain(route: CompiledRoute, resources: GenerationResources, terminal: Handler, order: readonly StageFactory[] = STAGE_ORDER): { handler: Handler; stages: string[] } {
  const stages: { name: string; stage: Stage }[] = [];
  for (const factory of order) {
    const stage = factory.create(route, resources);
    if (stage !== null) stages.push({ name: factory.name, stage });
  }
  const handler = stages.reduceRight<Handler>((next, { stage }) => (ctx) => stage(ctx, next), terminal);
  return { handler, stages: [...stages.map((s) => s.name), "proxy"] };
}
