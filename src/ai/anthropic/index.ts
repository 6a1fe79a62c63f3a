import type { ChatTranslator } from "../types.js";
import { anthropicError } from "./errors.js";
import { anthropicRequest } from "./request.js";
import { chatCompletion } from "./response.js";
import { anthropicStream } from "./stream.js";
import { responseUsage } from "./usage.js";

/**
 * OpenAI Chat Completions ↔ Anthropic Messages (MAPPING.md section 1).
 *
 * Request (`request.ts`):
 * - system/developer messages are hoisted, in order, into `system` (a string
 *   when there is exactly one string system message, else text blocks);
 * - `max_tokens` = `max_completion_tokens` ?? `max_tokens` ?? `ctx.defaultMaxTokens` (4096);
 * - `temperature` (clamped to 0–1) and `top_p` (omitted when ≥ 1, a no-op)
 *   are sent only for `anthropic-version` before 2026-10-21, which refuses them;
 * - `tool` messages become `tool_result` blocks, consecutive ones in one user turn;
 * - `user` / `safety_identifier` → `metadata.user_id`;
 *   `response_format` json_schema → `output_config.format`.
 * Refused with 400 `invalid_body`: `n` > 1, `logprobs`, `top_logprobs`,
 * audio output / non-text `modalities`, `response_format` json_object,
 * `input_audio` parts, `file_id` files, non-PDF files, image types other than
 * jpeg/png/gif/webp, non-function tools, tool-call arguments that are not a
 * JSON object.
 * Dropped: `seed`, `logit_bias`, `presence_penalty`, `frequency_penalty`,
 * `prediction`, `store`, `metadata`, `service_tier`, `web_search_options`,
 * `verbosity`, `prompt_cache_key`, `reasoning_effort`, `stream_options`,
 * `image_url.detail`, message `name`, assistant `refusal`, tools' `strict`.
 *
 * Responses carry the gateway's id (`ctx.id`), not Anthropic's `msg_…`, so
 * that plain and streamed answers from every upstream look alike.
 */
export const anthropicTranslator: ChatTranslator = {
  request: anthropicRequest,
  response: chatCompletion,
  stream: anthropicStream,
  error: (status, body) => anthropicError(status, body),
  usage: responseUsage,
};

export { anthropicError, streamError } from "./errors.js";
export { anthropicBody, anthropicRequest, DEFAULT_ANTHROPIC_VERSION, samplingAllowed } from "./request.js";
export { chatCompletion, finishReason } from "./response.js";
export { anthropicStream } from "./stream.js";
