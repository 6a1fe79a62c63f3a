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
  return new AnthropicStreamTranslator(ctx);
}

/** One stream's translation state; each Anthropic event type has its own method. */
class AnthropicStreamTranslator implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly metered = emptyUsage();
  private usageSeen = false;
  private model: string;
  private started = false;
  private finished = false;
  private done = false;
  private broken = false;
  private tools = 0;
  private readonly blocks = new Map<number, ToolBlock>();

  constructor(private readonly ctx: TranslateContext) {
    this.model = ctx.model;
  }

  push(bytes: Buffer): Buffer[] {
    if (this.done || this.broken) return [];
    return this.feed(this.parser.push(bytes));
  }

  end(): Buffer[] {
    if (this.done || this.broken) return [];
    // A last event without its blank line still counts when it parses whole.
    const out = this.feed(this.parser.push(Buffer.from("\n\n")));
    if (!this.done && !this.broken) {
      this.broken = true;
      out.push(sseData(TRUNCATED));
    }
    return out;
  }

  usage(): Usage | null {
    return this.usageSeen ? meteredUsage(this.metered) : null;
  }

  failed(): boolean {
    return this.broken;
  }

  private feed(events: SseEvent[]): Buffer[] {
    const out: Buffer[] = [];
    for (const e of events) {
      if (this.done || this.broken) break;
      this.onEvent(e, out);
    }
    return out;
  }

  private onEvent(e: SseEvent, out: Buffer[]): void {
    let data: Json;
    try {
      const parsed: unknown = JSON.parse(e.data);
      if (!isObject(parsed)) return;
      data = parsed;
    } catch {
      return; // not JSON: nothing a client could use
    }
    switch (e.event ?? str(data.type)) {
      case "message_start":
        return this.messageStart(data, out);
      case "content_block_start":
        return this.blockStart(data, out);
      case "content_block_delta":
        return this.blockDelta(data, out);
      case "content_block_stop":
        return this.blockStop(data, out);
      case "message_delta":
        return this.messageDelta(data, out);
      case "message_stop":
        return this.messageStop(out);
      case "error":
        this.broken = true;
        out.push(sseData(streamError(data)));
        return;
      default:
        // ping, and event types added by later API versions.
        return;
    }
  }

  private messageStart(data: Json, out: Buffer[]): void {
    const message = isObject(data.message) ? data.message : {};
    if (!this.started) this.model = str(message.model) ?? this.model;
    this.usageSeen = mergeUsage(this.metered, message.usage) || this.usageSeen;
    this.start(out);
  }

  private blockStart(data: Json, out: Buffer[]): void {
    const block = isObject(data.content_block) ? data.content_block : {};
    const index = typeof data.index === "number" ? data.index : -1;
    if (block.type === "text" && typeof block.text === "string" && block.text !== "") this.emit(out, { content: block.text });
    if (block.type !== "tool_use") return;
    const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
    const tool: ToolBlock = { k: this.tools++, args: input !== "", complete: input !== "" };
    this.blocks.set(index, tool);
    this.emit(out, {
      tool_calls: [{ index: tool.k, id: str(block.id) ?? "", type: "function", function: { name: str(block.name) ?? "", arguments: input } }],
    });
  }

  private blockDelta(data: Json, out: Buffer[]): void {
    const delta = isObject(data.delta) ? data.delta : {};
    if (delta.type === "text_delta") {
      if (typeof delta.text === "string" && delta.text !== "") this.emit(out, { content: delta.text });
    } else if (delta.type === "input_json_delta") {
      const tool = this.blocks.get(typeof data.index === "number" ? data.index : -1);
      const part = str(delta.partial_json) ?? "";
      if (tool === undefined || tool.complete || part === "") return;
      tool.args = true;
      this.emit(out, { tool_calls: [{ index: tool.k, function: { arguments: part } }] });
    }
    // thinking_delta, signature_delta, citations_delta: no Chat Completions field.
  }

  private blockStop(data: Json, out: Buffer[]): void {
    const index = typeof data.index === "number" ? data.index : -1;
    const tool = this.blocks.get(index);
    this.blocks.delete(index);
    // A call with no arguments: `{}` so that clients can JSON.parse what they collected.
    if (tool !== undefined && !tool.args) this.emit(out, { tool_calls: [{ index: tool.k, function: { arguments: "{}" } }] });
  }

  private messageDelta(data: Json, out: Buffer[]): void {
    this.usageSeen = mergeUsage(this.metered, data.usage) || this.usageSeen;
    if (this.finished) return;
    this.finished = true;
    const delta = isObject(data.delta) ? data.delta : {};
    this.emit(out, {}, finishReason(delta.stop_reason));
  }

  private messageStop(out: Buffer[]): void {
    if (!this.finished) {
      this.finished = true;
      this.emit(out, {}, "stop");
    }
    if (this.ctx.includeUsage) out.push(this.chunk([], openAiUsage(this.metered)));
    out.push(SSE_DONE);
    this.done = true;
  }

  /** The role chunk, once, before anything else. */
  private start(out: Buffer[]): void {
    if (this.started) return;
    this.started = true;
    out.push(this.chunk([choice({ role: "assistant", content: "" })]));
  }

  /** A delta chunk (after the role chunk). */
  private emit(out: Buffer[], delta: Json, finish: string | null = null): void {
    this.start(out);
    out.push(this.chunk([choice(delta, finish)]));
  }

  private chunk(choices: Json[], usageValue: Json | null = null): Buffer {
    const c: Json = { id: this.ctx.id, object: "chat.completion.chunk", created: this.ctx.nowSeconds, model: this.model, choices };
    if (this.ctx.includeUsage) c.usage = usageValue;
    return sseData(c);
  }
}

function choice(delta: Json, finish: string | null = null): Json {
  return { index: 0, delta, logprobs: null, finish_reason: finish };
}
