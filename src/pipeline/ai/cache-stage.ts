import { isCacheable } from "../../cache/cacheable.js";
import { completionToSse } from "../../cache/completion.js";
import { cacheKey } from "../../cache/key.js";
import { readAiBody } from "../body.js";
import type { StageFactory } from "../types.js";
import { aiKind } from "./kind.js";
import { aiHeaders, sendJson } from "./respond.js";
import { settleNow } from "../metering.js";

/**
 * The response cache of AI routes with `cache`: exact match on the
 * request's canonical form (model, messages, tools, parameters; not stream
 * or user fields), deterministic requests only (temperature 0 and n ≤ 1,
 * embeddings) unless `cache.force`; per consumer unless `cache.scope:
 * global`. A hit never reaches the upstream and replays as JSON or as a
 * stream, whichever the request asks for. Errors are never cached.
 */
export const cacheStage: StageFactory = {
  name: "cache",
  create(route, resources) {
    const cache = resources.ai.cache;
    if (!route.ai || route.cache === null || cache === null) return null;
    const scopeGlobal = route.cache.scope === "global";
    return async (ctx, next) => {
      const kind = aiKind(ctx.path);
      const json = kind === null ? null : await readAiBody(ctx, resources.maxBodyBytes);
      if (kind === null || json === null || !isCacheable(route, json)) return next(ctx);
      const scope = scopeGlobal ? "*" : (ctx.consumer?.name ?? ctx.identity?.subject ?? "anonymous");
      const key = cacheKey(route.name, kind, scope, json);
      let hit: Record<string, unknown> | null = null;
      try {
        hit = await cache.get(key);
      } catch (err) {
        resources.logger.warn({ err: (err as Error).message }, "cache unavailable: treated as a miss");
      }
      resources.metrics.recordCache(route.name, hit !== null);
      if (hit === null) {
        ctx.cache = "miss";
        ctx.cacheKey = key;
        return next(ctx);
      }
      ctx.cache = "hit";
      ctx.upstream = null;
      if (ctx.meter !== null) ctx.meter.cacheHit = true;
      if (ctx.plugins !== null && kind === "chat") ctx.plugins.guardCached(hit);
      if (json.stream === true) {
        await settleNow(ctx, "complete");
        const headers = aiHeaders(ctx, route, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
        const sent = ctx.plugins === null ? headers : ctx.plugins.respond(200, headers);
        if (sent === null) return;
        ctx.status = 200;
        ctx.res.writeHead(200, sent);
        const includeUsage = (json.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
        for (const chunk of completionToSse(hit, includeUsage)) {
          ctx.bytesOut += chunk.length;
          ctx.res.write(chunk);
        }
        ctx.res.end();
        return;
      }
      await sendJson(ctx, route, 200, {}, Buffer.from(JSON.stringify(hit)));
    };
  },
};
