import type { CompiledRoute } from "../../compile/route.js";
import type { Upstream } from "../../config/types.js";
import type { RequestResources } from "../types.js";
import type { RequestContext } from "../types.js";
import { passthroughDialect, type Dialect } from "../dialect.js";
import { forwarding } from "../forward.js";
import type { ResponseCopy } from "../respond-upstream.js";
import { aiKind } from "./kind.js";
import { openAiDialect } from "./openai-dialect.js";
import { translatedDialect, unsupportedDialect } from "./translated-dialect.js";

/** The dialects of one upstream on one route, chosen per request by path. */
export interface DialectSet {
  for(ctx: RequestContext): Dialect;
}

/**
 * Plain routes pass through. On AI routes, `/v1/chat/completions` and
 * `/v1/embeddings` speak OpenAI to the client whatever the upstream:
 * OpenAI-shaped upstreams (openai, ollama, mock) natively, anthropic and
 * bedrock through their translators; any other path passes through
 * natively to the upstream type (`/v1/messages` to Anthropic).
 */
export function dialectsFor(route: CompiledRoute, resources: RequestResources, drop: ReadonlySet<string>, def: Upstream, copy: ResponseCopy): DialectSet {
  // What the client's headers lose on the way to this upstream, worked out once for its dialects.
  const forward = forwarding(drop, def);
  const passthrough = passthroughDialect(route, resources, forward, copy);
  if (!route.ai) return { for: () => passthrough };
  const translator = resources.ai.translators.for(def.type);
  const native = def.type === "openai" || def.type === "ollama" || def.type === "mock";
  const chat = native ? openAiDialect(route, resources, forward, copy, "chat") : translator !== null ? translatedDialect(route, resources, drop, def, translator) : passthrough;
  const embeddings = native ? openAiDialect(route, resources, forward, copy, "embeddings") : unsupportedDialect(def, "embeddings");
  return {
    for(ctx) {
      const kind = aiKind(ctx.path);
      return kind === "chat" ? chat : kind === "embeddings" ? embeddings : passthrough;
    },
  };
}
