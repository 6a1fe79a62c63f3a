import type { CompiledRoute } from "../compile/route.js";
import type { Handler, PluginPhase, RequestResources, Stage, StageFactory } from "./types.js";
import { authStage } from "./auth.js";
import { rateLimitStage } from "./ratelimit.js";
import { usageStage } from "./ai/usage-stage.js";
import { cacheStage } from "./ai/cache-stage.js";

/** A route's plugin stage of one phase, made by the snapshot's plugins (the pipeline does not know how). */
function pluginStage(phase: PluginPhase): StageFactory {
  return {
    name: phase === "access" ? "plugins:access" : "plugins",
    create: (route, resources) => resources.plugins?.stage(phase, route, resources) ?? null,
  };
}

export const accessPluginStage = pluginStage("access");
export const requestPluginStage = pluginStage("request");

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
export function composeChain(route: CompiledRoute, resources: RequestResources, terminal: Handler, order: readonly StageFactory[] = STAGE_ORDER): { handler: Handler; stages: string[] } {
  const stages: { name: string; stage: Stage }[] = [];
  for (const factory of order) {
    const stage = factory.create(route, resources);
    if (stage !== null) stages.push({ name: factory.name, stage });
  }
  const handler = stages.reduceRight<Handler>((next, { stage }) => (ctx) => stage(ctx, next), terminal);
  return { handler, stages: [...stages.map((s) => s.name), "proxy"] };
}
