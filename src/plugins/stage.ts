import { readAiBody } from "../pipeline/body.js";
import type { RequestContext } from "../pipeline/context.js";
import type { Handler, StageFactory } from "../pipeline/order.js";
import { toHttpError } from "../pipeline/respond.js";
import type { PluginPhase } from "./order.js";
import { PluginRun } from "./run.js";
import type { PluginAnswer } from "./types.js";

/**
 * The plugin stages (DESIGN.md 11, order in plugins/order.ts): `access`
 * right after route match, before auth; `request` after auth. A route
 * without plugins of a phase leaves that stage out. The first plugin stage
 * of a route starts the request's PluginRun (`ctx.plugins`, which the
 * relays call for the response hooks and guards) and turns any error from
 * the stages after it into an answer that went through the response hooks
 * (so `cors` and `response-headers` apply to the gateway's own errors too).
 */
export function pluginStage(phase: PluginPhase): StageFactory {
  return {
    name: phase === "access" ? "plugins:access" : "plugins",
    create(route, resources) {
      const prepared = resources.plugins;
      if (prepared === null) return null;
      const plan = prepared.planFor(route, resources.metrics, resources.logger);
      if (plan === null) return null;
      const steps = phase === "access" ? plan.access : plan.request;
      if (steps.length === 0) return null;
      const owner = phase === "access" || plan.access.length === 0;
      const readBody = route.ai && steps.some((s) => s.members.some((m) => m.needsBody));
      const maxBodyBytes = resources.maxBodyBytes;
      const shared = plan.shared;

      const after = (run: PluginRun, answer: PluginAnswer | undefined, ctx: RequestContext, next: Handler): Promise<void> => {
        run.commitBody();
        if (answer === undefined) return next(ctx);
        run.answer(answer);
        return Promise.resolve();
      };
      const hooks = (run: PluginRun, ctx: RequestContext, next: Handler): Promise<void> => {
        let out;
        try {
          out = run.request(steps);
        } catch (err) {
          return Promise.reject(err);
        }
        if (out instanceof Promise) return out.then((answer) => after(run, answer, ctx, next));
        return after(run, out, ctx, next);
      };

      return (ctx, next) => {
        let run: PluginRun;
        if (owner) {
          run = new PluginRun(ctx, shared);
          ctx.plugins = run;
        } else run = ctx.plugins!;
        const done = readBody && ctx.body === null ? readAiBody(ctx, maxBodyBytes).then(() => hooks(run, ctx, next)) : hooks(run, ctx, next);
        if (!owner) return done;
        return done.catch((err: unknown) => {
          if (ctx.res.headersSent || ctx.res.destroyed) throw err;
          const answer = run.errorResponse(toHttpError(err));
          if (answer !== null) throw answer;
        });
      };
    },
  };
}

export const accessPluginStage = pluginStage("access");
export const requestPluginStage = pluginStage("request");
