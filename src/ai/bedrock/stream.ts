import type { Usage } from "../../usage/extract.js";
import type { OpenAIError, StreamTranslator, TranslateContext } from "../types.js";
import { streamException } from "./errors.js";
import { EventStreamDecoder, stringHeader, type EventStreamMessage } from "./event-stream.js";
import { finishReason, meteredUsage, openAIUsage } from "./response.js";

/**
 * ConverseStream (binary event stream) → OpenAI `chat.completion.chunk` SSE
 * (MAPPING.md 2.5). `[DONE]` follows the `metadata` event, not
 * `messageStop`: bedrock/README.md puts `metadata` (the only carrier of
 * usage) after `messageStop` as the last event, and OpenAI's usage chunk
 * must precede `[DONE]`. A stream that ends before `metadata` (cut, or only
 * up to `messageStop`) is treated as failed. Exception and error frames,
 * corrupt frames (CRC, lengths) and bad JSON payloads become one
 * `data: {"error":…}` event, after which nothing else is sent.
 */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const sse = (value: unknown): Buffer => Buffer.from(`data: ${JSON.stringify(value)}\n\n`, "utf8");
const DONE = Buffer.from("data: [DONE]\n\n", "utf8");

const upstreamError = (message: string, code: string): OpenAIError["body"] => ({
  error: { message, type: "api_error", param: null, code },
});

export class ConverseStreamTranslator implements StreamTranslator {
  private readonly decoder = new EventStreamDecoder();
  private readonly ctx: TranslateContext;
  private started = false;
  private stopped = false;
  private done = false;
  private failure = false;
  private metered: Usage | null = null;
  /** contentBlockIndex of a tool-use block → its OpenAI `tool_calls[].index`. */
  private readonly toolIndex = new Map<number, number>();
  private tools = 0;

  constructor(ctx: TranslateContext) {
    this.ctx = ctx;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.done || this.failure) return [];
    const { messages, error } = this.decoder.push(chunk);
    const out: Buffer[] = [];
    for (const m of messages) {
      this.frame(m, out);
      if (this.done || this.failure) return out;
    }
    if (error !== null) out.push(this.fail(upstreamError(`invalid event stream from Bedrock: ${error.message}`, "upstream_error")));
    return out;
  }

  end(): Buffer[] {
    if (this.done || this.failure) return [];
    const why = this.decoder.buffered > 0 ? "in the middle of a frame" : this.stopped ? "before its metadata event" : "before messageStop";
    return [this.fail(upstreamError(`Bedrock stream ended ${why}`, "upstream_reset"))];
  }

  usage(): Usage | null {
    return this.metered;
  }

  failed(): boolean {
    return this.failure;
  }

  private fail(body: OpenAIError["body"]): Buffer {
    this.failure = true;
    return sse(body);
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): Buffer {
    const value: Record<string, unknown> = {
      id: this.ctx.id,
      object: "chat.completion.chunk",
      created: this.ctx.nowSeconds,
      model: this.ctx.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (this.ctx.includeUsage) value.usage = null;
    return sse(value);
  }

  private start(out: Buffer[]): void {
    if (this.started) return;
    this.started = true;
    out.push(this.chunk({ role: "assistant", content: "" }));
  }

  private frame(m: EventStreamMessage, out: Buffer[]): void {
    const type = stringHeader(m, ":message-type");
    if (type === "exception") {
      out.push(this.fail(streamException(stringHeader(m, ":exception-type") ?? "", m.payload).body));
      return;
    }
    if (type === "error") {
      const code = stringHeader(m, ":error-code");
      const message = stringHeader(m, ":error-message");
      const text = message !== undefined && message.length > 0 ? message : "Bedrock stream error";
      out.push(this.fail(upstreamError(code === undefined ? text : `${code}: ${text}`, "upstream_error")));
      return;
    }
    if (type !== "event") return;
    const event = stringHeader(m, ":event-type");
    let payload: unknown;
    try {
      payload = m.payload.length === 0 ? {} : JSON.parse(m.payload.toString("utf8"));
    } catch {
      out.push(this.fail(upstreamError(`Bedrock sent a ${String(event)} event that is not JSON`, "upstream_error")));
      return;
    }
    if (!isObject(payload)) return;
    // Every payload carries a random-length `p` padding string: never read.
    switch (event) {
      case "messageStart":
        this.start(out);
        break;
      case "contentBlockStart": {
        const start = isObject(payload.start) ? payload.start : {};
        if (!isObject(start.toolUse)) break;
        this.start(out);
        const k = this.tools++;
        this.toolIndex.set(num(payload.contentBlockIndex), k);
        const call = { index: k, id: start.toolUse.toolUseId, type: "function", function: { name: start.toolUse.name, arguments: "" } };
        out.push(this.chunk({ tool_calls: [call] }));
        break;
      }
      case "contentBlockDelta": {
        const delta = isObject(payload.delta) ? payload.delta : {};
        if (typeof delta.text === "string") {
          if (delta.text.length === 0) break;
          this.start(out);
          out.push(this.chunk({ content: delta.text }));
        } else if (isObject(delta.toolUse) && typeof delta.toolUse.input === "string" && delta.toolUse.input.length > 0) {
          const k = this.toolIndex.get(num(payload.contentBlockIndex));
          if (k === undefined) break;
          out.push(this.chunk({ tool_calls: [{ index: k, function: { arguments: delta.toolUse.input } }] }));
        }
        // reasoningContent, citation, toolResult deltas: no Chat Completions field.
        break;
      }
      case "messageStop":
        this.start(out);
        this.stopped = true;
        out.push(this.chunk({}, finishReason(payload.stopReason)));
        break;
      case "metadata": {
        this.metered = meteredUsage(payload.usage);
        if (!this.stopped) {
          out.push(this.fail(upstreamError("Bedrock sent metadata before messageStop", "upstream_error")));
          return;
        }
        const usage = openAIUsage(payload.usage);
        if (this.ctx.includeUsage && usage !== null) {
          out.push(sse({ id: this.ctx.id, object: "chat.completion.chunk", created: this.ctx.nowSeconds, model: this.ctx.model, choices: [], usage }));
        }
        this.done = true;
        out.push(DONE);
        break;
      }
      default:
        // contentBlockStop needs no chunk (tool indexes are assigned at start); unknown events are ignored.
        break;
    }
  }
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : -1;
}
