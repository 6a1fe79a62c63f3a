import { modelAllowed } from "../auth/consumer-policy.js";
import type { CompiledRoute } from "../compile/route.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { Route } from "../config/types.js";
import { HttpError } from "../errors/http.js";
import type { RequestResources } from "./types.js";
import { accessPluginStage, composeChain, requestPluginStage, runOf } from "./order.js";
import { periodStart } from "../usage/period.js";
import { authStage } from "./auth.js";
import type { RequestContext } from "./types.js";

import type { Handler, StageFactory } from "./types.js";
import { rateLimitStage } from "./ratelimit.js";
import type { AssembledRoute } from "./types.js";
import { sendJson } from "./ai/respond-builtin.js";

/**
 * `GET /v1/models` and `GET /v1/usage`, served by the gateway itself on the
 * data listener (unless a route claims the exact path). They are routes of
 * their own, assembled once per generation like declared ones, so they go
 * through the same gateway-level plugins (access and request phases), auth
 * (any configured provider) and rate limits (the consumer's and
 * `gateway.rateLimits`) as every other request; only usage metering and the
 * cache, which have nothing to do here, are left out.
 */
export interface BuiltinRoutes {
  /** The built-in route for a request, or null. */
  for(method: string, path: string): AssembledRoute | null;
}

const BUILTIN_ORDER: readonly StageFactory[] = [accessPluginStage, authStage, requestPluginStage, rateLimitStage];

/** A built-in endpoint as a route: no upstream, every provider accepted, no policies of its own. */
export function builtinRoute(index: number, name: string, path: string, auth: readonly string[]): CompiledRoute {
  return Object.freeze({
    index,
    name,
    line: 0,
    column: 0,
    pathKind: "exact",
    path,
    methods: new Set(["GET"]),
    host: null,
    headers: [],
    model: null,
    ai: true,
    upstream: null,
    split: null,
    sticky: null,
    fallback: [],
    auth,
    scopes: [],
    rateLimits: [],
    cache: null,
    timeoutMs: null,
    rewrite: null,
    requestHeaders: null,
    responseHeaders: null,
    plugins: [],
    source: { name, match: { path } } as Route,
  });
}

export function assembleBuiltins(snapshot: Snapshot, resources: RequestResources): BuiltinRoutes {
  const providers = [...snapshot.authProviders.keys()];
  // Negative indexes: never a declared route's (plugin plans are kept by index).
  const assemble = (index: number, name: string, path: string, terminal: Handler): AssembledRoute => {
    const compiled = builtinRoute(index, name, path, providers);
    const { run, stages } = composeChain(compiled, resources, runOf(terminal), BUILTIN_ORDER);
    return { compiled, run, stages: [...stages.slice(0, -1), name] };
  };
  const models = assemble(-1, "builtin:models", "/v1/models", (ctx) => listModels(ctx, snapshot, resources));
  const usage = assemble(-2, "builtin:usage", "/v1/usage", (ctx) => ownUsage(ctx, resources));
  return {
    for(method, path) {
      if (method !== "GET") return null;
      return path === "/v1/models" ? models : path === "/v1/usage" ? usage : null;
    },
  };
}

/**
 * The models of AI upstreams (`upstreams[].models`) that some AI route would
 * send a request for to that upstream, and that the caller's allow-list
 * admits, in OpenAI's list shape.
 */
async function listModels(ctx: RequestContext, snapshot: Snapshot, resources: RequestResources): Promise<void> {
  const consumer = ctx.consumer ?? undefined;
  const created = Math.floor(resources.clock.now() / 1000);
  const seen = new Set<string>();
  const data: Record<string, unknown>[] = [];
  for (const route of snapshot.routes) {
    if (!route.ai) continue;
    for (const name of [route.upstream, ...(route.split ?? []).map((s) => s.upstream), ...route.fallback]) {
      const up = name === null ? undefined : snapshot.upstreams.get(name);
      for (const id of up?.models ?? []) {
        if (seen.has(id) || (route.model !== null && !route.model.test(id)) || !modelAllowed(consumer, id)) continue;
        seen.add(id);
        data.push({ id, object: "model", created, owned_by: up!.name });
      }
    }
  }
  await sendJson(ctx, 200, { object: "list", data });
}

/** The caller's own usage in the current period, and its budget (credentials required). */
async function ownUsage(ctx: RequestContext, resources: RequestResources): Promise<void> {
  const identity = ctx.identity;
  if (identity === null) throw new HttpError("missing_credentials", "this endpoint needs credentials", { headers: { "www-authenticate": 'Bearer realm="aigw"' } });
  const consumer = ctx.consumer;
  const who = consumer?.name ?? identity.subject;
  const period = consumer?.budget?.period ?? "month";
  const totals = await resources.ai.ledger.get(who, period);
  await sendJson(ctx, 200, {
    consumer: who,
    period,
    periodStart: new Date(periodStart(period, resources.clock.now())).toISOString(),
    requests: totals.requests,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    costUsd: Math.round(totals.costUsd * 1e8) / 1e8,
    budgetUsd: consumer?.budget?.usd ?? null,
  });
}
