import type { Identity } from "../compile/identity.js";
import type { CompiledConsumer } from "../compile/snapshot.js";

/**
 * The consumer of an identity: the declared consumer named by its subject,
 * else the provider's `defaultConsumer`, else none (the identity then
 * counts on its own for `key: consumer` limits). Shared by the auth stage
 * and by explain/test/replay.
 */
export function consumerOf(identity: Identity, consumers: ReadonlyMap<string, CompiledConsumer>, defaultConsumers: ReadonlyMap<string, string | undefined>): CompiledConsumer | undefined {
  const direct = consumers.get(identity.subject);
  if (direct !== undefined) return direct;
  const fallback = identity.provider === null ? undefined : defaultConsumers.get(identity.provider);
  return fallback === undefined ? undefined : consumers.get(fallback);
}

/** The route's scopes the caller lacks: held = the identity's scopes ∪ the consumer's. */
export function missingScopes(required: readonly string[], identity: Identity, consumer: CompiledConsumer | undefined): string[] {
  if (required.length === 0) return [];
  const held = new Set(identity.scopes);
  for (const s of consumer?.scopes ?? []) held.add(s);
  return required.filter((s) => !held.has(s));
}

/** Whether the consumer's `models` allow-list admits `model` (no list: every model). */
export function modelAllowed(consumer: CompiledConsumer | undefined, model: string): boolean {
  return consumer?.modelGlob == null || consumer.modelGlob.test(model);
}

/**
 * Endpoints that serve no model, which a consumer's `models` allow-list
 * lets through without one: listing models (`GET /v1/models`, `GET
 * /v1/models/{id}`) and the caller's own usage (`GET /v1/usage`).
 */
export function isModelFree(method: string, path: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  return path === "/v1/models" || path === "/v1/usage" || (path.startsWith("/v1/models/") && path.indexOf("/", 11) === -1);
}

/**
 * Why a consumer's `models` allow-list refuses a request, or null when it
 * admits it. It fails closed: on an AI route a request must name a model
 * the gateway can read (a JSON `model`, or a form's one `model` field)
 * unless its endpoint serves none; files and batches, for instance, carry
 * their models inside uploads the gateway does not read. Shared by the auth
 * stage and by explain/test/replay.
 */
export function modelRefusal(consumer: CompiledConsumer | undefined, ai: boolean, method: string, path: string, model: string | undefined): string | null {
  if (consumer?.models === undefined || !ai) return null;
  if (model === undefined) {
    if (isModelFree(method, path)) return null;
    return `consumer ${consumer.name} may only use listed models, and the gateway cannot tell which model this request uses (send a JSON body with \`model\`, or a form with one \`model\` field)`;
  }
  return modelAllowed(consumer, model) ? null : `consumer ${consumer.name} may not use model ${model}`;
}
