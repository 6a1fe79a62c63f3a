import type { OpenAIChatRequest, ProviderRequest, TranslateContext } from "../types.js";
import { bad, type Block, contentBlocks, encodePathLabel, isObject, plainText, textBlock } from "./content.js";

/**
 * OpenAI Chat Completions request → Bedrock Converse / ConverseStream
 * (MAPPING.md section 2.2). Choices where the mapping leaves one:
 *
 * - 400 (`invalid_body`): `n` > 1; `image_url` with an http(s) URL (the
 *   translator is pure and Bedrock takes only bytes or S3, so no fetching);
 *   an image MIME type Bedrock lacks; `file` parts with `file_id`;
 *   `input_audio`; unknown part types; `tools` of a type other than
 *   `function`; tool-call `arguments` that are not a JSON object; unknown roles
 *   (including the deprecated `function`); `response_format`
 *   `json_object`/`json_schema` (silently dropping it would break callers
 *   that parse the answer); `temperature` outside OpenAI's 0–2; `logprobs:
 *   true`, `top_logprobs` > 0, non-text `modalities`, `audio` (asked-for
 *   output Bedrock cannot give; same as the Anthropic translator).
 * - Clamped: `temperature` in (1, 2] → 1 (Bedrock's range is 0–1).
 * - `tool_choice: "none"`: `toolConfig` is left out when the conversation
 *   holds no toolUse/toolResult block; otherwise the tools are kept without
 *   a `toolChoice` (Bedrock needs `toolConfig` to accept such history), so
 *   "none" cannot be enforced there.
 * - `max_tokens`: not defaulted. Bedrock's `maxTokens` is optional (the
 *   model's own maximum applies), so `ctx.defaultMaxTokens` is not used.
 * - tool results carry no `status`: OpenAI has none, and Bedrock accepts
 *   the field only for Claude and Nova models.
 * - `top_k` (a common non-OpenAI extension) → `additionalModelRequestFields.top_k`.
 * - Dropped: `parallel_tool_calls`, tools' `strict`, `seed`, penalties,
 *   `logit_bias`, `user`, `metadata`, `store`, `service_tier`,
 *   `prediction`, `reasoning_effort`, `web_search_options`, `verbosity`,
 *   `prompt_cache_key`, `safety_identifier`, `stream_options`,
 *   `image_url.detail`, `name` on messages, assistant `refusal`,
 *   `response_format: {type: "text"}`.
 */

interface Message {
  role: "user" | "assistant";
  content: Block[];
}

function toolUseBlocks(toolCalls: unknown): Block[] {
  if (toolCalls === undefined || toolCalls === null) return [];
  if (!Array.isArray(toolCalls)) throw bad("tool_calls must be an array");
  return toolCalls.map((call) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : null;
    if (fn === null || typeof call.id !== "string" || typeof fn.name !== "string") throw bad("tool_calls entries need id and function.name");
    const args = typeof fn.arguments === "string" ? fn.arguments : "";
    let input: unknown = {};
    if (args.trim().length > 0) {
      try {
        input = JSON.parse(args);
      } catch {
        throw bad(`tool call ${call.id}: function.arguments is not valid JSON`);
      }
      if (!isObject(input)) throw bad(`tool call ${call.id}: function.arguments must be a JSON object`);
    }
    return { toolUse: { toolUseId: call.id, name: fn.name, input } };
  });
}

function toolResultBlock(msg: Record<string, unknown>): Block {
  if (typeof msg.tool_call_id !== "string") throw bad("tool messages need tool_call_id");
  const text = plainText(msg.content);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const content = isObject(parsed) ? [{ json: parsed }] : text.trim().length > 0 ? [{ text }] : [];
  return { toolResult: { toolUseId: msg.tool_call_id, content } };
}

/** OpenAI messages → Bedrock `system` and alternating `messages`. */
function translateMessages(messages: unknown): { system: Block[]; messages: Message[] } {
  if (!Array.isArray(messages) || messages.length === 0) throw bad("messages must be a non-empty array");
  const system: Block[] = [];
  const out: Message[] = [];
  const append = (role: "user" | "assistant", content: Block[]): void => {
    if (content.length === 0) return;
    const last = out[out.length - 1];
    // Bedrock wants alternating roles: same-role neighbours become one message.
    if (last !== undefined && last.role === role) last.content.push(...content);
    else out.push({ role, content: [...content] });
  };
  for (const msg of messages) {
    if (!isObject(msg)) throw bad("messages entries must be objects");
    switch (msg.role) {
      case "system":
      case "developer":
        if (typeof msg.content === "string") system.push(...textBlock(msg.content));
        else system.push(...contentBlocks(msg.content, "system").filter((b) => "text" in b));
        break;
      case "user":
        append("user", contentBlocks(msg.content, "user"));
        break;
      case "assistant":
        append("assistant", [...contentBlocks(msg.content, "assistant"), ...toolUseBlocks(msg.tool_calls)]);
        break;
      case "tool":
        append("user", [toolResultBlock(msg)]);
        break;
      default:
        throw bad(`message role ${JSON.stringify(msg.role)} is not supported by Bedrock upstreams`);
    }
  }
  // Tool results lead their user message (a user text merged after them stays after).
  for (const m of out) {
    if (m.role === "user" && m.content.some((b) => "toolResult" in b)) {
      m.content = [...m.content.filter((b) => "toolResult" in b), ...m.content.filter((b) => !("toolResult" in b))];
    }
  }
  return { system, messages: out };
}

function toolSpecs(tools: unknown): Block[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw bad("tools must be an array");
  return tools.map((tool) => {
    if (!isObject(tool) || tool.type !== "function" || !isObject(tool.function)) {
      throw bad("only tools of type function are supported by Bedrock upstreams");
    }
    const fn = tool.function;
    if (typeof fn.name !== "string") throw bad("tools[].function.name is required");
    const schema = isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} };
    const spec: Block = { name: fn.name };
    if (typeof fn.description === "string" && fn.description.length > 0) spec.description = fn.description;
    spec.inputSchema = { json: schema };
    return { toolSpec: spec };
  });
}

function toolConfig(body: OpenAIChatRequest, messages: Message[]): Block | undefined {
  let tools = toolSpecs(body.tools);
  const choice = body.tool_choice;
  let toolChoice: Block | undefined;
  const history = messages.some((m) => m.content.some((b) => "toolUse" in b || "toolResult" in b));
  if (choice === undefined || choice === null) {
    // Bedrock's default is auto.
  } else if (choice === "auto") toolChoice = { auto: {} };
  else if (choice === "required") toolChoice = { any: {} };
  else if (choice === "none") {
    if (!history) return undefined;
  } else if (isObject(choice) && choice.type === "function" && isObject(choice.function) && typeof choice.function.name === "string") {
    toolChoice = { tool: { name: choice.function.name } };
  } else if (isObject(choice) && choice.type === "allowed_tools" && isObject(choice.allowed_tools)) {
    const allowed = choice.allowed_tools;
    const names = new Set(
      (Array.isArray(allowed.tools) ? allowed.tools : []).map((t) => (isObject(t) && isObject(t.function) ? t.function.name : undefined)),
    );
    tools = tools.filter((t) => names.has((t.toolSpec as Block).name));
    toolChoice = allowed.mode === "required" ? { any: {} } : { auto: {} };
  } else {
    throw bad("tool_choice is not valid");
  }
  if (tools.length === 0) return undefined;
  return toolChoice === undefined ? { tools } : { tools, toolChoice };
}

function inferenceConfig(body: OpenAIChatRequest): Block | undefined {
  const config: Block = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined && max !== null) {
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) throw bad("max_completion_tokens must be a positive integer");
    config.maxTokens = max;
  }
  if (body.temperature !== undefined && body.temperature !== null) {
    const t = body.temperature;
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0 || t > 2) throw bad("temperature must be between 0 and 2");
    config.temperature = Math.min(t, 1);
  }
  if (body.top_p !== undefined && body.top_p !== null) {
    if (typeof body.top_p !== "number" || body.top_p < 0 || body.top_p > 1) throw bad("top_p must be between 0 and 1");
    config.topP = body.top_p;
  }
  const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop : [];
  const stops = stop.filter((s): s is string => typeof s === "string" && s.length > 0);
  if (stops.length > 0) config.stopSequences = stops;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** The Converse body (without `modelId`, which goes in the path). */
export function converseBody(body: OpenAIChatRequest): Record<string, unknown> {
  if (typeof body.n === "number" && body.n > 1) throw bad("n > 1 is not supported by Bedrock upstreams");
  if (body.logprobs === true) throw bad("logprobs is not supported by Bedrock upstreams");
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) throw bad("top_logprobs is not supported by Bedrock upstreams");
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== "text")) throw bad("only the text modality is supported by Bedrock upstreams");
  if (body.audio !== undefined && body.audio !== null) throw bad("audio output is not supported by Bedrock upstreams");
  const format = isObject(body.response_format) ? body.response_format.type : undefined;
  if (format !== undefined && format !== "text") throw bad(`response_format ${String(format)} is not supported by Bedrock upstreams`);
  const { system, messages } = translateMessages(body.messages);
  const out: Record<string, unknown> = {};
  if (system.length > 0) out.system = system;
  out.messages = messages;
  const inference = inferenceConfig(body);
  if (inference !== undefined) out.inferenceConfig = inference;
  const tools = toolConfig(body, messages);
  if (tools !== undefined) out.toolConfig = tools;
  if (typeof body.top_k === "number") out.additionalModelRequestFields = { top_k: body.top_k };
  return out;
}

export function converseRequest(body: OpenAIChatRequest, ctx: TranslateContext): ProviderRequest {
  const stream = body.stream === true;
  return {
    path: `/model/${encodePathLabel(ctx.model)}/${stream ? "converse-stream" : "converse"}`,
    headers: {
      "content-type": "application/json",
      accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
    },
    body: Buffer.from(JSON.stringify(converseBody(body)), "utf8"),
  };
}
