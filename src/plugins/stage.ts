import type { CompiledRoute } from "../compile/route.js";
import { readAiBody } from "../pipeline/body.js";
import type { Handler, RequestContext, RequestResources, Stage } from "../pipeline/types.js";
import { toHttpError } from "../pipeline/respond.js";
import { authRequired } from "../pipeline/auth.js";
import type { PluginPhase } from "./order.js";
import { PluginRun, type RoutePlugins } from "./run.js";
import type { PluginAnswer } from "./types.js";

/**
 * A route's plugin stage of one phase (DESIGN.md 11, order in
 * plugins/order.ts): `access` right after route match, before auth;
 * `request` after auth; null when the route has no plugins of the phase.
 * The first plugin stage of a route starts the request's PluginRun
 * (`ctx.plugins`, which the relays call for the response hooks and guards)
 * and turns any error from the stages after it into an answer that went
 * through the response hooks (so `cors` and `response-headers` apply to the
 * gateway's own errors too). On a route without auth nothing sits between
 * the two phases: the access stage then runs the request phase's steps too,
 * and the request stage is left out (one stage, one run of the chain,
 * instead of two).
 */
export function pluginStage(phase: PluginPhase, plan: RoutePlugins, route: CompiledRoute, resources: RequestResources): Stage | null {
  const access = plan.accessSteps;
  const total = plan.steps.length;
  // Adjacent phases (no auth stage between them) fold into the access stage.
  const folded = !authRequired(route) && access > 0 && access < total;
  if (folded && phase === "request") return null;
  const [from, end] = phase === "request" ? [access, total] : [0, folded ? total : access];
  if (from === end) return null;
  const owner = phase === "access" || access === 0;
  const readBody = route.ai && plan.steps.slice(from, end).some((s) => s.members.some((m) => m.needsBody));
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
      out = run.request(from, end);
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
    } else run = ctx.plugins as PluginRun; // made by this route's access stage, earlier in the chain
    const done = readBody && ctx.body === null ? readAiBody(ctx, maxBodyBytes).then(() => hooks(run, ctx, next)) : hooks(run, ctx, next);
    if (!owner) return done;
    return done.catch((err: unknown) => {
      if (ctx.res.headersSent || ctx.res.destroyed) throw err;
      const answer = run.errorResponse(toHttpError(err));
      if (answer !== null) throw answer;
    });
  };
}
