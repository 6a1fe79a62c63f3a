import { MAX_SSE_EVENT_CHARS, SseOverflowError } from "../ai/sse.js";

/**
 * Token usage from provider responses: OpenAI-shaped JSON (`usage` with
 * prompt/completion tokens), OpenAI SSE (the usage chunk), and Anthropic
 * (`usage.input_tokens` + cache fields / `output_tokens`, in JSON or in
 * `message_start` / `message_delta` events, where output counts are
 * cumulative). Used by token rate limits, cost and budgets.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Usage from one parsed JSON object (a whole response, or one stream event). */
export function usageOf(value: unknown): Partial<Usage> | null {
  if (value === null || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  const usage = (v.usage ?? (v.message as Record<string, unknown> | undefined)?.usage) as Record<string, unknown> | null | undefined;
  if (usage === null || usage === undefined || typeof usage !== "object") return null;
  if ("prompt_tokens" in usage || "completion_tokens" in usage) {
    return { inputTokens: num(usage.prompt_tokens), outputTokens: num(usage.completion_tokens) };
  }
  const out: Partial<Usage> = {};
  if ("input_tokens" in usage) out.inputTokens = num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens);
  if ("output_tokens" in usage) out.outputTokens = num(usage.output_tokens);
  if ("inputTokens" in usage || "outputTokens" in usage) return { inputTokens: num(usage.inputTokens), outputTokens: num(usage.outputTokens) };
  return Object.keys(out).length === 0 ? null : out;
}

const MAX_JSON_BYTES = 8 * 1024 * 1024;

/**
 * Watches a response body as it streams to the client (never holding up a
 * chunk) and yields the usage at the end: the last usage an SSE stream
 * reported, or the `usage` of a JSON body (buffered up to 8 MiB).
 */
export class UsageTap {
  private readonly sse: boolean;
  private chunks: Buffer[] = [];
  private size = 0;
  private pending = "";
  private input: number | undefined;
  private output: number | undefined;

  constructor(contentType: string | undefined) {
    this.sse = (contentType ?? "").startsWith("text/event-stream");
  }

  /** Throws SseOverflowError when an SSE line grows past the limit (the relay then ends the stream). */
  push(chunk: Buffer): void {
    if (!this.sse) {
      if (this.size + chunk.length <= MAX_JSON_BYTES) this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    this.pending += chunk.toString("utf8");
    let start = 0;
    let nl: number;
    while ((nl = this.pending.indexOf("\n", start)) !== -1) {
      const end = nl > start && this.pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (this.pending.startsWith("data:", start)) this.event(this.pending.slice(start + 5, end).trim());
      start = nl + 1;
    }
    if (start > 0) this.pending = this.pending.slice(start);
    if (this.pending.length > MAX_SSE_EVENT_CHARS) {
      this.pending = "";
      throw new SseOverflowError();
    }
  }

  private event(data: string): void {
    if (data === "" || data === "[DONE]" || !data.includes("usage")) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    this.record(usageOf(parsed));
  }

  private record(u: Partial<Usage> | null): void {
    if (u === null) return;
    if (u.inputTokens !== undefined && (u.inputTokens > 0 || this.input === undefined)) this.input = u.inputTokens;
    if (u.outputTokens !== undefined) this.output = u.outputTokens;
  }

  /** The usage seen (a field the response did not report is left out), or null when it reported none. */
  finish(): Partial<Usage> | null {
    if (!this.sse && this.size > 0 && this.size <= MAX_JSON_BYTES) {
      try {
        this.record(usageOf(JSON.parse(Buffer.concat(this.chunks).toString("utf8"))));
      } catch {
        // Not JSON (or cut short): no usage.
      }
      this.chunks = [];
    }
    if (this.input === undefined && this.output === undefined) return null;
    const seen: Partial<Usage> = {};
    if (this.input !== undefined) seen.inputTokens = this.input;
    if (this.output !== undefined) seen.outputTokens = this.output;
    return seen;
  }
}

/** The characters of a request's prompt: every string under `messages` (or `input`, `prompt`) and `system`. Iterative: a deeply nested body cannot overflow the stack. */
function promptChars(body: Record<string, unknown>): number {
  let chars = 0;
  const stack: unknown[] = [body.messages ?? body.input ?? body.prompt, body.system];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") chars += v.length;
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === "object") for (const x of Object.values(v)) stack.push(x);
  }
  return chars;
}

/** The output limit the request set (`max_tokens`, `max_completion_tokens`, `max_output_tokens`), or 0. */
function requestedMaxTokens(body: Record<string, unknown>): number {
  return num(body.max_tokens) || num(body.max_completion_tokens) || num(body.max_output_tokens);
}

/**
 * A token estimate before the call, for token limits: the prompt at about
 * four characters a token, plus `max_tokens` (or `max_completion_tokens`)
 * when the request sets it. Reconciled with the real usage afterwards.
 */
export function estimateTokens(body: Record<string, unknown> | null): number {
  if (body === null) return 0;
  return Math.ceil(promptChars(body) / 4) + requestedMaxTokens(body);
}

/**
 * What an exchange is charged when its upstream reported no usage (a stream
 * cut before its usage chunk, an upstream that never reports it): the
 * prompt at about four characters a token, and the output limit the request
 * set, else `defaultMaxTokens` for requests that generate text (none for
 * embeddings, nor for bodies that are not JSON).
 */
export function estimateUsage(body: Record<string, unknown> | null, generates: boolean, defaultMaxTokens: number): Usage {
  if (body === null) return { inputTokens: 0, outputTokens: 0 };
  const max = requestedMaxTokens(body);
  return { inputTokens: Math.ceil(promptChars(body) / 4), outputTokens: max > 0 ? max : generates ? defaultMaxTokens : 0 };
}
