import { openAiStream } from "../../ai/openai/stream.js";
import type { CompiledRoute } from "../../compile/route.js";
import { HttpError } from "../../errors/http.js";
import type { RequestResources } from "../types.js";
import { usageOf } from "../../usage/extract.js";
import type { Dialect } from "../dialect.js";
import { upstreamHeaders, type Forwarding } from "../forward.js";
import { endToEnd } from "../headers.js";
import { relayResponse, type ResponseCopy } from "../respond-upstream.js";
import { upstreamPath } from "../rewrite.js";
import type { AiKind } from "./kind.js";
import { parseJson, readAll } from "./read.js";
import { sendJson, streamThrough } from "./respond.js";
import { translateContext } from "./translate-context.js";
import { cacheCollector, storeCompletion } from "./cache-store.js";
import { sendBlocked } from "../../plugins/run.js";

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const INCLUDE_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * A JSON object's bytes with `"stream_options":{"include_usage":true}` as
 * its first member. The body parsed as an object with other members (it
 * has `stream`), so its first non-blank byte is `{` and a comma follows the
 * new member; null when that does not hold (the caller serialises instead).
 */
export function withIncludeUsage(body: Buffer): Buffer | null {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d)) i++;
  if (body[i] !== 0x7b) return null;
  return Buffer.concat([body.subarray(0, i + 1), INCLUDE_USAGE, body.subarray(i + 1)]);
}

/**
 * OpenAI-shaped upstreams (openai, ollama, mock) on the OpenAI-compatible
 * surface. The request goes as the client sent it, except: a stream always
 * asks for the usage chunk (`stream_options.include_usage`, dropped again on
 * the way back when the client did not ask), and Ollama gets `max_tokens`
 * for `max_completion_tokens` (it ignores the latter). Answers are metered,
 * cached when the route caches, and otherwise passed through.
 */
export function openAiDialect(route: CompiledRoute, resources: RequestResources, forward: Forwarding, copy: ResponseCopy, kind: AiKind): Dialect {
  const def = forward.def;
  return {
    request(ctx, target) {
      const json = ctx.json;
      if (json === null) throw new HttpError("invalid_body", "the request body must be a JSON object");
      let out = json;
      let body: Buffer | null = ctx.body;
      if (kind === "chat" && json.stream === true && (json.stream_options as { include_usage?: unknown } | undefined)?.include_usage !== true) {
        out = { ...out, stream_options: { ...(json.stream_options as object | undefined), include_usage: true } };
        // Without stream_options in the body, the member is spliced in front of the client's bytes (no re-serialisation).
        body = json.stream_options === undefined && body !== null ? withIncludeUsage(body) : null;
      }
      if (def.type === "ollama" && kind === "chat" && json.max_completion_tokens !== undefined && json.max_tokens === undefined) {
        const { max_completion_tokens, ...rest } = out;
        out = { ...rest, max_tokens: max_completion_tokens };
        body = null;
      }
      const headers = upstreamHeaders(ctx, route, resources, forward);
      headers["content-type"] = "application/json";
      headers["accept-encoding"] = "identity";
      return {
        method: "POST",
        path: upstreamPath(ctx.path, route.rewrite, target?.basePath ?? "") + ctx.query,
        headers,
        body: body ?? Buffer.from(JSON.stringify(out)),
      };
    },
    async relaySuccess(ctx, response) {
      const contentType = String(response.headers["content-type"] ?? "");
      if (contentType.startsWith("text/event-stream")) {
        const tctx = translateContext(ctx, resources, def);
        const collect = ctx.cacheKey === null ? undefined : cacheCollector();
        const failed = await streamThrough(ctx, route, resources, response, openAiStream(tctx), collect?.push);
        if (!failed && collect !== undefined) await storeCompletion(ctx, resources, collect.completion());
        return !failed;
      }
      const bytes = await readAll(response.body, MAX_RESPONSE_BYTES);
      if (bytes === null) throw new HttpError("upstream_error", `upstream ${def.name} answered with a body over 64 MiB`);
      const json = parseJson(bytes) as Record<string, unknown> | undefined;
      const usage = usageOf(json);
      ctx.meter?.report(usage);
      if (typeof json?.model === "string") ctx.responseModel = json.model;
      let out = bytes;
      if (kind === "chat" && json !== undefined && ctx.plugins !== null) {
        const guarded = ctx.plugins.guardCompletion(json);
        if (HttpError.is(guarded)) return sendBlocked(ctx, route, guarded);
        if (guarded) out = Buffer.from(JSON.stringify(json));
      }
      if (kind === "chat" && json !== undefined && ctx.cacheKey !== null) await storeCompletion(ctx, resources, json);
      await sendJson(ctx, route, response.status, endToEnd(response.headers, copy.dropWhole), out);
      return true;
    },
    async relayError(ctx, response) {
      await relayResponse(ctx, response, route, resources, copy);
    },
  };
}
