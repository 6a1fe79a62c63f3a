import { SseParser, SSE_DONE, sseData } from "../ai/sse.js";

interface ToolCall {
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}

/**
 * Rebuilds a `chat.completion` from the OpenAI chunks a client received, so
 * a streamed answer can be cached and later replayed either way.
 */
export class CompletionAssembler {
  private readonly parser = new SseParser();
  private envelope: Record<string, unknown> = {};
  private content = "";
  private hasContent = false;
  private readonly calls = new Map<number, ToolCall>();
  private finish: unknown = null;
  private usage: unknown = undefined;
  private done = false;

  push(bytes: Buffer): void {
    for (const e of this.parser.push(bytes)) {
      if (e.data === "[DONE]") {
        this.done = true;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(e.data);
      } catch {
        continue;
      }
      // An event of another shape (`null`, a number, a list) is passed on to the client, not assembled.
      if (!isObject(parsed)) continue;
      const chunk = parsed;
      if (chunk.error !== undefined) return;
      if (this.envelope.id === undefined) this.envelope = { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.usage !== null && chunk.usage !== undefined) this.usage = chunk.usage;
      const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      if (!isObject(choice)) continue;
      const delta = isObject(choice.delta) ? choice.delta : {};
      if (typeof delta.content === "string") {
        this.content += delta.content;
        this.hasContent = true;
      }
      for (const tc of Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : []) {
        if (!isObject(tc)) continue;
        const index = typeof tc.index === "number" ? tc.index : this.calls.size;
        const call = this.calls.get(index) ?? { function: { arguments: "" } };
        const fn = isObject(tc.function) ? tc.function : {};
        if (typeof tc.id === "string") call.id = tc.id;
        if (typeof tc.type === "string") call.type = tc.type;
        if (typeof fn.name === "string") call.function.name = fn.name;
        if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
        this.calls.set(index, call);
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.finish = choice.finish_reason;
    }
  }

  /** The completion, or null when the stream did not end properly. */
  completion(): Record<string, unknown> | null {
    if (!this.done || this.finish === null) return null;
    const message: Record<string, unknown> = { role: "assistant", content: this.hasContent ? this.content : null };
    if (this.calls.size > 0) message.tool_calls = [...this.calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => ({ id: c.id, type: c.type ?? "function", function: c.function }));
    return {
      ...this.envelope,
      object: "chat.completion",
      choices: [{ index: 0, message, logprobs: null, finish_reason: this.finish }],
      ...(this.usage === undefined ? {} : { usage: this.usage }),
    };
  }
}

/** A cached `chat.completion` as an OpenAI stream (role, content, tool calls, finish, usage when asked, [DONE]). */
export function completionToSse(completion: Record<string, unknown>, includeUsage: boolean): Buffer[] {
  const choice = (completion.choices as Record<string, unknown>[] | undefined)?.[0] ?? {};
  const message = (choice.message ?? {}) as Record<string, unknown>;
  const envelope = { id: completion.id, object: "chat.completion.chunk", created: completion.created, model: completion.model };
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => sseData({ ...envelope, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
  const out = [chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }])];
  if (typeof message.content === "string" && message.content !== "") out.push(chunk([{ index: 0, delta: { content: message.content }, logprobs: null, finish_reason: null }]));
  const calls = (message.tool_calls as Record<string, unknown>[] | undefined) ?? [];
  calls.forEach((c, index) => out.push(chunk([{ index: 0, delta: { tool_calls: [{ index, ...c }] }, logprobs: null, finish_reason: null }])));
  out.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? "stop" }]));
  if (includeUsage) out.push(sseData({ ...envelope, choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }));
  out.push(SSE_DONE);
  return out;
}

/** A JSON object (not null, not a list). */
function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
