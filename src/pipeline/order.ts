import type { CompiledRoute } from "../compile/route.js";
import type { ChainStage, Handler, PluginPhase, RequestResources, Run, RunStage, Stage, StageFactory } from "./types.js";
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
 * Composes a route's stages around the terminal, once. Stages in callback
 * form call the next one directly (a route of built-in stages takes no
 * promise per request); a run of consecutive promise stages (plugins, the
 * cache) is chained as promises, one promise in and one out.
 */
export function composeChain(route: CompiledRoute, resources: RequestResources, terminal: Run, order: readonly StageFactory[] = STAGE_ORDER): { run: Run; stages: string[] } {
  const stages: { name: string; stage: ChainStage }[] = [];
  for (const factory of order) {
    const stage = factory.create(route, resources);
    if (stage !== null) stages.push({ name: factory.name, stage });
  }
  let run = terminal;
  let promised: Stage[] = [];
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!.stage;
    if (typeof stage === "function") {
      promised.unshift(stage);
      continue;
    }
    run = linkRun(stage.run, linkPromised(promised, run));
    promised = [];
  }
  return { run: linkPromised(promised, run), stages: [...stages.map((s) => s.name), "proxy"] };
}

function linkRun(stage: RunStage, next: Run): Run {
  return (ctx, done) => stage(ctx, next, done);
}

/** Promise stages in order, then `next`, as one Run (`next` itself when there is none). */
function linkPromised(stages: readonly Stage[], next: Run): Run {
  if (stages.length === 0) return next;
  return runOf(stages.reduceRight<Handler>((after, stage) => (ctx) => stage(ctx, after), handlerOf(next)));
}
