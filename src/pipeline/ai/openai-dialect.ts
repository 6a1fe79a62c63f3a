import { openAiStream } from "../../ai/openai/stream.js";
import type { CompiledRoute } from "../../compile/route.js";
import { HttpError } from "../../errors/http.js";
import type { RequestResources } from "../types.js";
import { usageOf } from "../../usage/extract.js";
import { isJsonBlank as isBlank, tailUsage } from "../../usage/tail-usage.js";
import { requestedModel } from "./requested-model.js";
import { relayedBy, type Dialect, type RelaySuccessDone } from "../dialect.js";
import { upstreamHeaders, type Forwarding } from "../forward.js";
import { endToEnd } from "../headers.js";
import { relayResponse, type ResponseCopy } from "../respond-upstream.js";
import { upstreamPath } from "../rewrite.js";
import type { AiKind } from "./kind.js";
import { parseJson } from "./read.js";
import { collectBodyThen } from "../../upstream/body.js";
import type { UpstreamResponse } from "../../upstream/exchange.js";
import type { RequestContext } from "../types.js";
import { sendJson, sendJsonThen, streamThroughThen } from "./respond.js";
import { asksForUsage } from "./translate-context.js";
import { cacheCollector, storeCompletion } from "./cache-store.js";
import { sendBlocked } from "../../plugins/run.js";
import { toHttpError } from "../respond.js";

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const INCLUDE_USAGE = Buffer.from('"stream_options":{"include_usage":true}');


/**
 * A JSON object's bytes with `"stream_options":{"include_usage":true}` as
 * its last member. Last, because upstreams that match keys without regard
 * to case and keep the last of several (Go's encoding/json, so Ollama)
 * must read the gateway's member, not a client's `Stream_Options`. The
 * body parsed as an object, so its last non-blank byte is `}`; null when
 * that does not hold (the caller serialises instead).
 */
export function withIncludeUsage(body: Buffer): Buffer | null {
  let end = body.length - 1;
  while (end >= 0 && isBlank(body[end])) end--;
  if (end < 0 || body[end] !== 0x7d) return null;
  let before = end - 1;
  while (before >= 0 && isBlank(body[before])) before--;
  if (before < 0) return null;
  const comma = body[before] === 0x7b ? "" : ",";
  return Buffer.concat([body.subarray(0, end), Buffer.from(comma), INCLUDE_USAGE, body.subarray(end)]);
}

/** Whether `json` has a key that is `name` in any letter case. */
function hasKeyLike(json: Record<string, unknown>, name: string): boolean {
  for (const key in json) if (key.length === name.length && key.toLowerCase() === name) return true;
  return false;
}

/**
 * The request as sent upstream when it must be written again: the usage
 * member asked for (last, and no client key like it left beside it), and
 * for Ollama `max_tokens` in place of `max_completion_tokens`.
 */
function rewritten(json: Record<string, unknown>, usage: boolean, ollamaTokens: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json };
  if (ollamaTokens) {
    const tokens = out.max_completion_tokens;
    delete out.max_completion_tokens;
    out.max_tokens = tokens;
  }
  if (usage) {
    for (const key of Object.keys(out)) if (key.length === 14 && key.toLowerCase() === "stream_options") delete out[key];
    const asked = json.stream_options;
    out.stream_options = { ...(asked !== null && typeof asked === "object" && !Array.isArray(asked) ? asked : {}), include_usage: true };
  }
  return out;
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
      const usage = kind === "chat" && json.stream === true && !asksForUsage(json);
      const ollamaTokens = def.type === "ollama" && kind === "chat" && json.max_completion_tokens !== undefined && json.max_tokens === undefined;
      let body = ctx.body;
      if (body === null || usage || ollamaTokens) {
        // The usage member goes in as the client's bytes plus one member when nothing else changes; else the body is written again.
        const spliced = usage && !ollamaTokens && body !== null && !hasKeyLike(json, "stream_options") ? withIncludeUsage(body) : null;
        body = spliced ?? Buffer.from(JSON.stringify(usage || ollamaTokens ? rewritten(json, usage, ollamaTokens) : json));
      }
      const headers = upstreamHeaders(ctx, route, resources, forward);
      headers["content-type"] = "application/json";
      headers["accept-encoding"] = "identity";
      return {
        method: "POST",
        path: upstreamPath(ctx.path, route.rewrite, target?.basePath ?? "") + ctx.query,
        headers,
        body,
      };
    },
    relaySuccess(ctx, response, done) {
      const contentType = String(response.headers["content-type"] ?? "");
      if (contentType.startsWith("text/event-stream")) {
        relayStream(ctx, response, done);
        return;
      }
      collectBodyThen(response.body, MAX_RESPONSE_BYTES, (err, bytes) => {
        if (err !== undefined) done(err, false);
        else if (bytes === null) done(new HttpError("upstream_error", `upstream ${def.name} answered with a body over 64 MiB`), false);
        else {
          try {
            relayJson(ctx, response, bytes, done);
          } catch (failure) {
            // The answer is all here: what fails now is the gateway's doing.
            done(toHttpError(failure), false);
          }
        }
      });
    },
    relayError(ctx, response, done) {
      relayResponse(ctx, response, route, resources, copy, done);
    },
  };

  function relayStream(ctx: RequestContext, response: UpstreamResponse, done: RelaySuccessDone): void {
    const collect = ctx.cacheKey === null ? undefined : cacheCollector();
    // The stream passes through: of the translation context it needs only whether the client asked for the usage chunk.
    streamThroughThen(ctx, route, resources, response, openAiStream({ includeUsage: asksForUsage(ctx.json) }), collect?.push, (err, failed) => {
      if (err !== undefined || failed || collect === undefined) done(err, err === undefined && !failed);
      else relayedBy(storeCompletion(ctx, resources, collect.completion()).then(() => true), done);
    });
  }

  /** A whole JSON answer: metered, guarded and cached when the route has those, then sent. */
  function relayJson(ctx: RequestContext, response: UpstreamResponse, bytes: Buffer, done: RelaySuccessDone): void {
    if (ctx.plugins === null && ctx.cacheKey === null && ctx.trace === null && !resources.ai.prices.needsAnswerModel(requestedModel(ctx))) {
      // Nothing needs the whole answer (guards, the cache) or its model (a
      // trace, a price by the answer's model): its usage is read from its end.
      // Latin-1 keeps every byte as one character: the structure is ASCII.
      const usage = tailUsage(bytes.toString("latin1"));
      if (usage !== null) {
        ctx.meter?.report(usage);
        sendJsonThen(ctx, route, response.status, endToEnd(response.headers, copy.dropWhole), bytes, (err) => done(err, true));
        return;
      }
    }
    const json = parseJson(bytes) as Record<string, unknown> | undefined;
    const usage = usageOf(json);
    ctx.meter?.report(usage);
    if (typeof json?.model === "string") ctx.responseModel = json.model;
    let out = bytes;
    if (kind === "chat" && json !== undefined && ctx.plugins !== null) {
      const guarded = ctx.plugins.guardCompletion(json);
      if (HttpError.is(guarded)) {
        relayedBy(sendBlocked(ctx, route, guarded), done);
        return;
      }
      if (guarded) out = Buffer.from(JSON.stringify(json));
    }
    const headers = endToEnd(response.headers, copy.dropWhole);
    if (kind === "chat" && json !== undefined && ctx.cacheKey !== null) {
      relayedBy(
        storeCompletion(ctx, resources, json)
          .then(() => sendJson(ctx, route, response.status, headers, out))
          .then(() => true),
        done,
      );
      return;
    }
    sendJsonThen(ctx, route, response.status, headers, out, (err) => done(err, true));
  }
}
