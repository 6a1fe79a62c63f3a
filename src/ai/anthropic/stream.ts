import type { Usage } from "../../usage/extract.js";
import { SSE_DONE, SseParser, sseData, type SseEvent } from "../sse.js";
import type { StreamTranslator, TranslateContext } from "../types.js";
import { streamError } from "./errors.js";
import { finishReason } from "./response.js";
import { emptyUsage, meteredUsage, mergeUsage, openAiUsage } from "./usage.js";
import { isObject, str, type Json } from "./util.js";

/** The in-band error sent when the upstream body ends before `message_stop`. */
export const TRUNCATED = {
  error: { message: "the upstream stream ended before it was complete", type: "server_error", param: null, code: "stream_truncated" },
};

interface ToolBlock {
  /** OpenAI `tool_calls[].index`: the count of tool_use blocks before this one. */
  k: number;
  /** Some `arguments` text was sent for it. */
  args: boolean;
  /** The arguments came whole with `content_block_start` (its `input` was not empty). */
  complete: boolean;
}

/**
 * Anthropic Messages SSE → OpenAI `chat.completion.chunk` SSE
 * (MAPPING.md table 1.7). One envelope (`id`, `created`, `model`) for the
 * whole stream; tool calls are numbered by a counter of tool_use blocks,
 * not by Anthropic's content-block index.
 */
export function anthropicStream(ctx: TranslateContext): StreamTranslator {
  const parser = new SseParser();
  const usage = emptyUsage();
  let usageSeen = false;
  let model = ctx.model;
  let started = false;
  let finished = false;
  let done = false;
  let failed = false;
  let tools = 0;
  const blocks = new Map<number, ToolBlock>();

  const chunk = (choices: Json[], usageValue: Json | null = null): Buffer => {
    const c: Json = { id: ctx.id, object: "chat.completion.chunk", created: ctx.nowSeconds, model, choices };
    if (ctx.includeUsage) c.usage = usageValue;
    return sseData(c);
  };
  const choice = (delta: Json, finish: string | null = null): Json => ({ index: 0, delta, logprobs: null, finish_reason: finish });

  /** The role chunk, once, before anything else. */
  const start = (out: Buffer[]): void => {
    if (started) return;
    started = true;
    out.push(chunk([choice({ role: "assistant", content: "" })]));
  };
  /** A delta chunk (after the role chunk). */
  const emit = (out: Buffer[], delta: Json, finish: string | null = null): void => {
    start(out);
    out.push(chunk([choice(delta, finish)]));
  };

  const onEvent = (e: SseEvent, out: Buffer[]): void => {
    let data: Json;
    try {
      const parsed: unknown = JSON.parse(e.data);
      if (!isObject(parsed)) return;
      data = parsed;
    } catch {
      return; // not JSON: nothing a client could use
    }
    switch (e.event ?? str(data.type)) {
      case "message_start": {
        const message = isObject(data.message) ? data.message : {};
        if (!started) model = str(message.model) ?? model;
        usageSeen = mergeUsage(usage, message.usage) || usageSeen;
        start(out);
        return;
      }
      case "content_block_start": {
        const block = isObject(data.content_block) ? data.content_block : {};
        const index = typeof data.index === "number" ? data.index : -1;
        if (block.type === "text" && typeof block.text === "string" && block.text !== "") emit(out, { content: block.text });
        if (block.type !== "tool_use") return;
        const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
        const tool: ToolBlock = { k: tools++, args: input !== "", complete: input !== "" };
        blocks.set(index, tool);
        emit(out, {
          tool_calls: [{ index: tool.k, id: str(block.id) ?? "", type: "function", function: { name: str(block.name) ?? "", arguments: input } }],
        });
        return;
      }
      case "content_block_delta": {
        const delta = isObject(data.delta) ? data.delta : {};
        if (delta.type === "text_delta") {
          if (typeof delta.text === "string" && delta.text !== "") emit(out, { content: delta.text });
        } else if (delta.type === "input_json_delta") {
          const tool = blocks.get(typeof data.index === "number" ? data.index : -1);
          const part = str(delta.partial_json) ?? "";
          if (tool === undefined || tool.complete || part === "") return;
          tool.args = true;
          emit(out, { tool_calls: [{ index: tool.k, function: { arguments: part } }] });
        }
        // thinking_delta, signature_delta, citations_delta: no Chat Completions field.
        return;
      }
      case "content_block_stop": {
        const index = typeof data.index === "number" ? data.index : -1;
        const tool = blocks.get(index);
        blocks.delete(index);
        // A call with no arguments: `{}` so that clients can JSON.parse what they collected.
        if (tool !== undefined && !tool.args) emit(out, { tool_calls: [{ index: tool.k, function: { arguments: "{}" } }] });
        return;
      }
      case "message_delta": {
        usageSeen = mergeUsage(usage, data.usage) || usageSeen;
        if (finished) return;
        finished = true;
        const delta = isObject(data.delta) ? data.delta : {};
        emit(out, {}, finishReason(delta.stop_reason));
        return;
      }
      case "message_stop":
        if (!finished) {
          finished = true;
          emit(out, {}, "stop");
        }
        if (ctx.includeUsage) out.push(chunk([], openAiUsage(usage)));
        out.push(SSE_DONE);
        done = true;
        return;
      case "error":
        failed = true;
        out.push(sseData(streamError(data)));
        return;
      default:
        // ping, and event types added by later API versions.
        return;
    }
  };

  const feed = (events: SseEvent[]): Buffer[] => {
    const out: Buffer[] = [];
    for (const e of events) {
      if (done || failed) break;
      onEvent(e, out);
    }
    return out;
  };

  return {
    push(bytes) {
      if (done || failed) return [];
      return feed(parser.push(bytes));
    },
    end() {
      if (done || failed) return [];
      // A last event without its blank line still counts when it parses whole.
      const out = feed(parser.push(Buffer.from("\n\n")));
      if (!done && !failed) {
        failed = true;
        out.push(sseData(TRUNCATED));
      }
      return out;
    },
    usage: (): Usage | null => (usageSeen ? meteredUsage(usage) : null),
    failed: () => failed,
  };
}
