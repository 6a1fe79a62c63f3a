import type { Identity } from "../compile/identity.js";
import { compileGlobs, type Glob } from "../compile/router/glob.js";
import type { Consumer } from "../config/types.js";

/**
 * The consumer of an identity: the declared consumer named by its subject,
 * else the provider's `defaultConsumer`, else none (the identity then
 * counts on its own for `key: consumer` limits). Shared by the auth stage
 * and by explain/test/replay.
 */
export function consumerOf(identity: Identity, consumers: ReadonlyMap<string, Consumer>, defaultConsumers: ReadonlyMap<string, string | undefined>): Consumer | undefined {
  const direct = consumers.get(identity.subject);
  if (direct !== undefined) return direct;
  const fallback = identity.provider === null ? undefined : defaultConsumers.get(identity.provider);
  return fallback === undefined ? undefined : consumers.get(fallback);
}

/** The route's scopes the caller lacks: held = the identity's scopes ∪ the consumer's. */
export function missingScopes(required: readonly string[], identity: Identity, consumer: Consumer | undefined): string[] {
  if (required.length === 0) return [];
  const held = new Set(identity.scopes);
  for (const s of consumer?.scopes ?? []) held.add(s);
  return required.filter((s) => !held.has(s));
}

const allowLists = new WeakMap<Consumer, Glob>();

/** Whether the consumer's `models` allow-list admits `model` (no list: every model). */
export function modelAllowed(consumer: Consumer | undefined, model: string): boolean {
  if (consumer?.models === undefined) return true;
  let glob = allowLists.get(consumer);
  if (glob === undefined) {
    glob = compileGlobs(consumer.models);
    allowLists.set(consumer, glob);
  }
  return glob.test(model);
}
