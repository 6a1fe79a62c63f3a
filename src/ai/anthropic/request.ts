import type { OpenAIChatRequest, ProviderRequest, TranslateContext } from "../types.js";
import { convertMessages } from "./request/messages.js";
import { reject } from "./request/reject.js";
import { convertToolChoice, convertTools } from "./request/tools.js";
import { isObject, num, str, type Json } from "./util.js";

/**
 * OpenAI Chat Completions request → Anthropic Messages request
 * (MAPPING.md table 1.2). What cannot be expressed and would change the
 * answer the client expects is refused with 400 (`invalid_body`); knobs
 * that only tune sampling or bookkeeping are dropped. The full list is in
 * `index.ts`.
 */

export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";
/** From this `anthropic-version` on, `temperature`/`top_p`/`top_k` are a 400 upstream. */
const SAMPLING_REMOVED_IN = "2026-10-21";
const DEFAULT_MAX_TOKENS = 4096;

/** Whether `version` still accepts `temperature` and `top_p` (versions are ISO dates). */
export const samplingAllowed = (version: string): boolean => version < SAMPLING_REMOVED_IN;

export function anthropicRequest(body: OpenAIChatRequest, ctx: TranslateContext): ProviderRequest {
  const version = ctx.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION;
  return {
    path: "/v1/messages",
    headers: { "content-type": "application/json", "anthropic-version": version },
    body: Buffer.from(JSON.stringify(anthropicBody(body, ctx, version))),
  };
}

/** The Messages API body (exported for tests). */
export function anthropicBody(body: OpenAIChatRequest, ctx: TranslateContext, version = ctx.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION): Json {
  if (!isObject(body)) reject("the request body must be a JSON object");
  refuseUnsupported(body);
  if (!Array.isArray(body.messages)) reject("'messages' must be an array");
  const { system, messages } = convertMessages(body.messages);

  const out: Json = { model: ctx.model || body.model };
  out.max_tokens = num(body.max_completion_tokens) ?? num(body.max_tokens) ?? (ctx.defaultMaxTokens > 0 ? ctx.defaultMaxTokens : DEFAULT_MAX_TOKENS);
  if (system !== undefined) out.system = system;
  out.messages = messages;

  const tools = convertTools(body);
  if (tools.length > 0) {
    out.tools = tools;
    const choice = convertToolChoice(body, tools);
    if (choice !== undefined) out.tool_choice = choice;
  }

  const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === "string") : [];
  if (stop.length > 0) out.stop_sequences = stop;

  if (samplingAllowed(version)) {
    const temperature = num(body.temperature);
    // OpenAI's range is 0–2, Anthropic's 0–1: clamp.
    if (temperature !== undefined) out.temperature = Math.min(Math.max(temperature, 0), 1);
    const topP = num(body.top_p);
    // top_p ≥ 1 is a no-op; newer models refuse temperature and top_p together.
    if (topP !== undefined && topP < 1) out.top_p = Math.max(topP, 0);
  }

  const user = str(body.safety_identifier) ?? str(body.user);
  if (user !== undefined && user !== "") out.metadata = { user_id: user };

  const format = body.response_format;
  if (isObject(format) && format.type === "json_schema") {
    const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isObject(schema)) reject("'response_format.json_schema.schema' must be an object");
    out.output_config = { format: { type: "json_schema", schema } };
  }

  out.stream = body.stream === true;
  return out;
}

/** Options whose answer the Messages API cannot give: a 400 rather than a silent change. */
function refuseUnsupported(body: Json): void {
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) reject("'n' other than 1 is not supported by this upstream (Anthropic returns one choice)");
  if (body.logprobs === true) reject("'logprobs' is not supported by this upstream (Anthropic)");
  const top = num(body.top_logprobs);
  if (top !== undefined && top > 0) reject("'top_logprobs' is not supported by this upstream (Anthropic)");
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== "text")) reject("only the 'text' modality is supported by this upstream (Anthropic)");
  if (body.audio !== undefined && body.audio !== null) reject("'audio' output is not supported by this upstream (Anthropic)");
  const format = body.response_format;
  if (isObject(format) && format.type !== "text" && format.type !== "json_schema") {
    reject(`'response_format' type '${String(format.type)}' is not supported by this upstream (Anthropic); use 'json_schema'`);
  }
}
