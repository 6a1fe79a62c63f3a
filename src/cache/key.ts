import { createHash } from "node:crypto";

/** Fields that do not change the answer (delivery, attribution). */
const IGNORED: ReadonlySet<string> = new Set(["stream", "stream_options", "user", "metadata", "store", "service_tier"]);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The cache key of a request: a hash of the route, the operation, the scope
 * (`consumer` unless the route shares entries), and the request's canonical
 * form without delivery fields, so a streamed and a plain request share an
 * entry.
 */
export function cacheKey(route: string, operation: string, scope: string, body: Record<string, unknown>): string {
  const relevant: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!IGNORED.has(k)) relevant[k] = v;
  return createHash("sha256").update(`${route}\u0000${operation}\u0000${scope}\u0000${canonical(relevant)}`).digest("hex");
}
