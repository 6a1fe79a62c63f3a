import { CompletionAssembler } from "../../cache/completion.js";
import type { RequestResources } from "../types.js";
import type { RequestContext } from "../types.js";

/** Collects a streamed answer as the client receives it, to cache it whole. */
export function cacheCollector(): { push: (bytes: Buffer) => void; completion: () => Record<string, unknown> | null } {
  const assembler = new CompletionAssembler();
  return { push: (b) => assembler.push(b), completion: () => assembler.completion() };
}

/** Stores a complete, successful answer under the request's cache key (errors are never cached). */
export async function storeCompletion(ctx: RequestContext, resources: RequestResources, completion: Record<string, unknown> | null): Promise<void> {
  const cache = resources.ai.cache;
  const ttl = ctx.route?.compiled.cache?.ttlMs;
  if (ctx.cacheKey === null || cache === null || completion === null || ttl === undefined || completion.error !== undefined) return;
  try {
    await cache.set(ctx.cacheKey, completion, ttl);
  } catch (err) {
    resources.logger.warn({ err: (err as Error).message }, "could not store a response in the cache");
  }
}
