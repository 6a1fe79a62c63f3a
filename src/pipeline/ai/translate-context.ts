import type { TranslateContext } from "../../ai/types.js";
import type { Upstream } from "../../config/types.js";
import type { RequestResources } from "../types.js";
import type { RequestContext } from "../types.js";

/** What translators need for one request, derived from the context (same answer each time). */
export function translateContext(ctx: RequestContext, resources: RequestResources, def: Upstream): TranslateContext {
  const json = ctx.json ?? {};
  const tctx: TranslateContext = {
    model: typeof json.model === "string" ? json.model : "",
    defaultMaxTokens: resources.ai.defaultMaxTokens,
    nowSeconds: Math.floor(resources.clock.now() / 1000),
    id: `chatcmpl-${ctx.id.replace(/[^A-Za-z0-9]/g, "").slice(0, 32)}`,
    includeUsage: asksForUsage(json),
  };
  if (def.type === "anthropic") tctx.anthropicVersion = def.anthropicVersion ?? "2023-06-01";
  if (def.region !== undefined) tctx.region = def.region;
  return tctx;
}

/** Whether the client's streamed request asked for the usage chunk itself (`stream_options.include_usage`). */
export function asksForUsage(json: Record<string, unknown> | null): boolean {
  return (json?.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
}
