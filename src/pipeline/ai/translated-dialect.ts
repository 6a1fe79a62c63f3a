import type { ChatTranslator, OpenAIChatRequest } from "../../ai/types.js";
import type { CompiledRoute } from "../../compile/route.js";
import type { Upstream } from "../../config/types.js";
import { HttpError } from "../../errors/http.js";
import type { RequestResources } from "../types.js";
import { erroredBy, relayedBy, type Dialect } from "../dialect.js";
import type { UpstreamResponse } from "../../upstream/exchange.js";
import type { RequestContext } from "../types.js";
import { forwarding, upstreamHeaders } from "../forward.js";
import { cacheCollector, storeCompletion } from "./cache-store.js";
import { parseJson, readAll } from "./read.js";
import { sendJson, streamThrough } from "./respond.js";
import { toHttpError } from "../respond.js";
import { translateContext } from "./translate-context.js";
import { sendBlocked } from "../../plugins/run.js";

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Client headers that describe the client's own request to OpenAI, not the translated one. */
const CLIENT_CONTENT = ["content-type", "content-length", "accept", "accept-encoding", "anthropic-version", "anthropic-beta", "openai-organization", "openai-project"];

/**
 * Providers with their own API (anthropic, bedrock) behind the
 * OpenAI-compatible surface: the request translated, the answer (JSON,
 * stream, or error) translated back, usage metered from the provider's own
 * counts.
 */
export function translatedDialect(route: CompiledRoute, resources: RequestResources, drop: ReadonlySet<string>, def: Upstream, translator: ChatTranslator): Dialect {
  const forward = forwarding(drop, def, CLIENT_CONTENT);
  return {
    request(ctx, target) {
      if (ctx.json === null || !Array.isArray(ctx.json.messages)) throw new HttpError("invalid_body", "the request body must be a JSON object with `messages`");
      const tctx = translateContext(ctx, resources, def);
      const out = translator.request(ctx.json as OpenAIChatRequest, tctx);
      const headers = upstreamHeaders(ctx, route, resources, forward);
      Object.assign(headers, out.headers);
      headers["accept-encoding"] = "identity";
      const path = (target?.basePath ?? "") + out.path;
      if (target !== null) Object.assign(headers, resources.ai.translators.sign(def, { method: "POST", url: new URL(path, target.origin), headers, body: out.body, now: new Date(resources.clock.now()) }));
      return { method: "POST", path, headers, body: out.body };
    },
    relaySuccess: (ctx, response, done) => relayedBy(relaySuccess(ctx, response), done),
    relayError: (ctx, response, done) => erroredBy(relayError(ctx, response), done),
  };

  async function relaySuccess(ctx: RequestContext, response: UpstreamResponse): Promise<boolean> {
    const tctx = translateContext(ctx, resources, def);
    const contentType = String(response.headers["content-type"] ?? "");
    if (contentType.startsWith("text/event-stream") || contentType.startsWith("application/vnd.amazon.eventstream")) {
      const collect = ctx.cacheKey === null ? undefined : cacheCollector();
      const failed = await streamThrough(ctx, route, resources, response, translator.stream(tctx), collect?.push);
      if (!failed && collect !== undefined) await storeCompletion(ctx, resources, collect.completion());
      return !failed;
    }
    const bytes = await readAll(response.body, MAX_RESPONSE_BYTES);
    const body = parseJson(bytes);
    if (body === undefined) throw new HttpError("upstream_error", `upstream ${def.name} answered with a body that is not JSON`);
    const completion = translator.response(body, tctx);
    ctx.meter?.report(translator.usage(body));
    if (typeof completion.model === "string") ctx.responseModel = completion.model;
    const guarded = ctx.plugins === null ? false : ctx.plugins.guardCompletion(completion);
    if (HttpError.is(guarded)) return sendBlocked(ctx, route, guarded);
    if (ctx.cacheKey !== null) await storeCompletion(ctx, resources, completion);
    // The answer is all here: what fails now is the gateway's doing.
    await sendJson(ctx, route, 200, {}, Buffer.from(JSON.stringify(completion))).catch((err: unknown) => Promise.reject(toHttpError(err)));
    return true;
  }

  async function relayError(ctx: RequestContext, response: UpstreamResponse): Promise<void> {
    const bytes = await readAll(response.body, MAX_RESPONSE_BYTES);
    const err = translator.error(response.status, parseJson(bytes), response.headers);
    ctx.errorCode = err.body.error.code ?? err.body.error.type;
    const headers: Record<string, string> = {};
    const retryAfter = response.headers["retry-after"];
    if (typeof retryAfter === "string") headers["retry-after"] = retryAfter;
    await sendJson(ctx, route, err.status, headers, Buffer.from(JSON.stringify(err.body)));
  }
}

/** An operation an upstream type does not serve (embeddings on anthropic or bedrock): 400 before any call. */
export function unsupportedDialect(def: Upstream, operation: string): Dialect {
  const refuse = (): never => {
    throw new HttpError("unsupported_operation", `upstream ${def.name} (${def.type}) does not serve ${operation}`);
  };
  return { request: refuse, relaySuccess: refuse, relayError: refuse };
}
