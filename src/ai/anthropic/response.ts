import type { TranslateContext } from "../types.js";
import { emptyUsage, mergeUsage, openAiUsage } from "./usage.js";
import { asObject, isObject, str, type Json } from "./util.js";

/** Anthropic `stop_reason` → OpenAI `finish_reason` (MAPPING.md table 1.5). */
const FINISH: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  model_context_window_exceeded: "length",
  refusal: "content_filter",
  pause_turn: "stop",
};

/** Unknown reasons (a future version's) read as `stop`. */
export const finishReason = (stopReason: unknown): string => FINISH[str(stopReason) ?? ""] ?? "stop";

/** The refusal explanation, when the model refused and said why. */
function refusalOf(message: Json): string | null {
  if (message.stop_reason !== "refusal") return null;
  const details = message.stop_details;
  return isObject(details) ? (str(details.explanation) ?? null) : null;
}

/** A Messages API response → an OpenAI `chat.completion`. */
export function chatCompletion(body: unknown, ctx: TranslateContext): Json {
  const message = asObject(body);
  let text: string | null = null;
  const toolCalls: Json[] = [];
  for (const block of Array.isArray(message.content) ? message.content : []) {
    if (!isObject(block)) continue;
    if (block.type === "text" && typeof block.text === "string") text = (text ?? "") + block.text;
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: str(block.id) ?? "",
        type: "function",
        function: { name: str(block.name) ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // thinking, redacted_thinking and server-tool blocks have no Chat Completions field.
  }
  const out: Json = { role: "assistant", content: text, refusal: refusalOf(message) };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  const usage = emptyUsage();
  mergeUsage(usage, message.usage);
  return {
    id: ctx.id,
    object: "chat.completion",
    created: ctx.nowSeconds,
    model: str(message.model) ?? ctx.model,
    choices: [{ index: 0, message: out, logprobs: null, finish_reason: finishReason(message.stop_reason) }],
    usage: openAiUsage(usage),
  };
}
