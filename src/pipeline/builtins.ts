import type { Identity } from "../compile/identity.js";
import { modelAllowed, consumerOf } from "../auth/consumer-policy.js";
import { HttpError } from "../errors/http.js";
import type { Generation } from "../reload/generation.js";
import { periodStart } from "../usage/period.js";
import type { RequestContext } from "./context.js";
import { sendJson } from "./ai/respond-builtin.js";

/**
 * `GET /v1/models` and `GET /v1/usage`, served by the gateway itself on the
 * data listener (unless a route claims the exact path). Behind auth when
 * any provider is configured: any one provider's credentials suffice.
 */
export type Builtin = (ctx: RequestContext, generation: Generation) => Promise<void>;

export function builtinFor(method: string, path: string): Builtin | null {
  if (method !== "GET") return null;
  if (path === "/v1/models") return models;
  if (path === "/v1/usage") return usage;
  return null;
}

async function identify(ctx: RequestContext, generation: Generation, required: boolean): Promise<Identity | null> {
  const providers = [...generation.resources.authenticators.values()];
  if (providers.length === 0 && !required) return null;
  let invalid = false;
  for (const p of providers) {
    const outcome = await p.authenticate(ctx.req.headers);
    if (outcome.kind === "ok") return outcome.identity;
    if (outcome.kind === "invalid") invalid = true;
  }
  throw new HttpError(invalid ? "invalid_credentials" : "missing_credentials", invalid ? "the credentials are not valid" : "this endpoint needs credentials", {
    headers: { "www-authenticate": invalid ? 'Bearer realm="aigw", error="invalid_token"' : 'Bearer realm="aigw"' },
  });
}

/**
 * The models of AI upstreams (`upstreams[].models`) that some AI route would
 * send a request for to that upstream, and that the caller's allow-list
 * admits, in OpenAI's list shape.
 */
const models: Builtin = async (ctx, generation) => {
  ctx.aiShape = true;
  const identity = await identify(ctx, generation, false);
  const snapshot = generation.snapshot;
  const consumer = identity === null ? undefined : consumerOf(identity, snapshot.consumers, generation.resources.defaultConsumers);
  const created = Math.floor(generation.resources.clock.now() / 1000);
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
};

/** The caller's own usage in the current period, and its budget. */
const usage: Builtin = async (ctx, generation) => {
  ctx.aiShape = true;
  const identity = (await identify(ctx, generation, true))!;
  const consumer = consumerOf(identity, generation.snapshot.consumers, generation.resources.defaultConsumers);
  const who = consumer?.name ?? identity.subject;
  const period = consumer?.budget?.period ?? "month";
  const totals = await generation.resources.ai.ledger.get(who, period);
  await sendJson(ctx, 200, {
    consumer: who,
    period,
    periodStart: new Date(periodStart(period, generation.resources.clock.now())).toISOString(),
    requests: totals.requests,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    costUsd: Math.round(totals.costUsd * 1e8) / 1e8,
    budgetUsd: consumer?.budget?.usd ?? null,
  });
};
