import type { Usage } from "../../usage/extract.js";
import { isObject, num, type Json } from "./util.js";

/**
 * Anthropic usage counters, merged from a response or from the stream's
 * `message_start` and `message_delta` events (MAPPING.md table 1.6).
 */
export interface AnthropicUsage {
  input: number;
  cacheCreation: number;
  cacheRead: number;
  output: number;
  /** `output_tokens_details.thinking_tokens` (2026 field), when sent. */
  thinking: number | undefined;
}

export const emptyUsage = (): AnthropicUsage => ({ input: 0, cacheCreation: 0, cacheRead: 0, output: 0, thinking: undefined });

/**
 * Folds one Anthropic `usage` object into `into`. Fields that are absent or
 * null leave the current value; a later object (the last `message_delta`)
 * wins, since its counts are cumulative. A zero `input_tokens` never
 * replaces a count already seen (older streams send 0 in `message_delta`).
 */
export function mergeUsage(into: AnthropicUsage, usage: unknown): boolean {
  if (!isObject(usage)) return false;
  let seen = false;
  const input = num(usage.input_tokens);
  if (input !== undefined) {
    if (input > 0 || into.input === 0) into.input = input;
    seen = true;
  }
  const cc = num(usage.cache_creation_input_tokens);
  if (cc !== undefined) {
    into.cacheCreation = cc;
    seen = true;
  }
  const cr = num(usage.cache_read_input_tokens);
  if (cr !== undefined) {
    into.cacheRead = cr;
    seen = true;
  }
  const out = num(usage.output_tokens);
  if (out !== undefined) {
    into.output = out;
    seen = true;
  }
  const details = usage.output_tokens_details;
  const thinking = isObject(details) ? num(details.thinking_tokens) : undefined;
  if (thinking !== undefined) into.thinking = thinking;
  return seen;
}

/** Total prompt tokens: Anthropic's `input_tokens` excludes cache reads and writes. */
export const promptTokens = (u: AnthropicUsage): number => u.input + u.cacheCreation + u.cacheRead;

/** The OpenAI `usage` object. */
export function openAiUsage(u: AnthropicUsage): Json {
  const prompt = promptTokens(u);
  const out: Json = {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheCreation },
  };
  if (u.thinking !== undefined) out.completion_tokens_details = { reasoning_tokens: u.thinking };
  return out;
}

/** The gateway's metering view. */
export const meteredUsage = (u: AnthropicUsage): Usage => ({ inputTokens: promptTokens(u), outputTokens: u.output });

/** Usage of a non-streaming Messages response, or null when it has none. */
export function responseUsage(body: unknown): Usage | null {
  if (!isObject(body)) return null;
  const u = emptyUsage();
  return mergeUsage(u, (body as Json).usage) ? meteredUsage(u) : null;
}
