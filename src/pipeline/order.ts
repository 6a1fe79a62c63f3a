import type { CompiledRoute } from "../compile/route.js";
import type { Handler, PluginPhase, RequestResources, Run, Stage, StageFactory } from "./types.js";
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

/** A Run as a Handler (what a stage calls as `next`). */
export function handlerOf(run: Run): Handler {
  return (ctx) => new Promise<void>((resolve, reject) => run(ctx, (err) => (err === undefined ? resolve() : reject(err))));
}

/** A Handler as a Run. */
export function runOf(handler: Handler): Run {
  return (ctx, done) => {
    let pending: Promise<void>;
    try {
      pending = handler(ctx);
    } catch (err) {
      done(err);
      return;
    }
    pending.then(() => done(), done);
  };
}

/**
 * Composes a route's stages around the terminal, once. A route with no
 * stage runs the terminal itself (no promise per request); otherwise the
 * stages run as a promise chain, the terminal last.
 */
export function composeChain(route: CompiledRoute, resources: RequestResources, terminal: Run, order: readonly StageFactory[] = STAGE_ORDER): { run: Run; stages: string[] } {
  const stages: { name: string; stage: Stage }[] = [];
  for (const factory of order) {
    const stage = factory.create(route, resources);
    if (stage !== null) stages.push({ name: factory.name, stage });
  }
  const names = [...stages.map((s) => s.name), "proxy"];
  if (stages.length === 0) return { run: terminal, stages: names };
  const handler = stages.reduceRight<Handler>((next, { stage }) => (ctx) => stage(ctx, next), handlerOf(terminal));
  return { run: runOf(handler), stages: names };
}
