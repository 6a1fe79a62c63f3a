import type { CompiledRoute } from "../compile/route.js";

/**
 * Cacheable = the route caches and the request is deterministic: an
 * embeddings request (no sampling), or a generation with temperature 0 and
 * n ≤ 1; or `cache.force`.
 */
export function isCacheable(route: CompiledRoute, body: Readonly<Record<string, unknown>> | null | undefined): boolean {
  if (route.cache === null) return false;
  if (route.cache.force) return true;
  if (body === null || body === undefined) return false;
  if (body.input !== undefined && body.messages === undefined && body.prompt === undefined) return true;
  const n = body.n ?? 1;
  return body.temperature === 0 && typeof n === "number" && n <= 1;
}
