import type { Usage } from "../../usage/extract.js";
import type { TranslateContext } from "../types.js";

/**
 * Bedrock Converse response → OpenAI `chat.completion` (MAPPING.md 2.3,
 * 2.4). Bedrock returns no id, time or model: they come from `ctx`.
 * `reasoningContent`, `citationsContent` and other non-text blocks,
 * `metrics`, `trace` and `additionalModelResponseFields` have no Chat
 * Completions field and are dropped.
 */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * Table 2.4. `malformed_model_output`, `malformed_tool_use` and unknown
 * values become `stop` (OpenAI has nothing closer; a 502 would throw away
 * whatever the model did produce).
 */
export function finishReason(stopReason: unknown): string {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      return "stop";
  }
}

/**
 * Bedrock `usage` → OpenAI `usage` (table 2.3). Bedrock's `inputTokens`
 * excludes prompt-cache reads and writes (reported apart, as on Anthropic),
 * so `prompt_tokens` adds them back; `total_tokens` is prompt + completion.
 */
export function openAIUsage(usage: unknown): Record<string, unknown> | null {
  if (!isObject(usage)) return null;
  const cacheRead = num(usage.cacheReadInputTokens);
  const prompt = num(usage.inputTokens) + cacheRead + num(usage.cacheWriteInputTokens);
  const completion = num(usage.outputTokens);
  const out: Record<string, unknown> = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if ("cacheReadInputTokens" in usage || "cacheWriteInputTokens" in usage) out.prompt_tokens_details = { cached_tokens: cacheRead };
  return out;
}

/** Usage for metering: input includes cached tokens, as for Anthropic. */
export function meteredUsage(usage: unknown): Usage | null {
  const u = openAIUsage(usage);
  return u === null ? null : { inputTokens: u.prompt_tokens as number, outputTokens: u.completion_tokens as number };
}

export function converseUsage(body: unknown): Usage | null {
  return isObject(body) ? meteredUsage(body.usage) : null;
}

export function converseResponse(body: unknown, ctx: TranslateContext): Record<string, unknown> {
  const b = isObject(body) ? body : {};
  const output = isObject(b.output) ? b.output : {};
  const message = isObject(output.message) ? output.message : {};
  const blocks = Array.isArray(message.content) ? message.content : [];
  let text: string | null = null;
  const toolCalls: Record<string, unknown>[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    if (typeof block.text === "string") text = (text ?? "") + block.text;
    else if (isObject(block.toolUse)) {
      const t = block.toolUse;
      toolCalls.push({
        id: t.toolUseId,
        type: "function",
        function: { name: t.name, arguments: JSON.stringify(t.input ?? {}) },
      });
    }
  }
  const msg: Record<string, unknown> = { role: "assistant", content: text, refusal: null };
  if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  const out: Record<string, unknown> = {
    id: ctx.id,
    object: "chat.completion",
    created: ctx.nowSeconds,
    model: ctx.model,
    choices: [{ index: 0, message: msg, logprobs: null, finish_reason: finishReason(b.stopReason) }],
  };
  const usage = openAIUsage(b.usage);
  if (usage !== null) out.usage = usage;
  return out;
}
