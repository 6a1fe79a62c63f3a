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

  push(chunk: Buffer): void {
    if (!this.sse) {
      if (this.size + chunk.length <= MAX_JSON_BYTES) this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    this.pending += chunk.toString("utf8");
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) !== -1) {
      const line = this.pending.slice(0, nl).replace(/\r$/, "");
      this.pending = this.pending.slice(nl + 1);
      if (line.startsWith("data:")) this.event(line.slice(5).trim());
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

  /** The usage seen, or null when the response reported none. */
  finish(): Usage | null {
    if (!this.sse && this.size > 0 && this.size <= MAX_JSON_BYTES) {
      try {
        this.record(usageOf(JSON.parse(Buffer.concat(this.chunks).toString("utf8"))));
      } catch {
        // Not JSON: no usage.
      }
      this.chunks = [];
    }
    if (this.input === undefined && this.output === undefined) return null;
    return { inputTokens: this.input ?? 0, outputTokens: this.output ?? 0 };
  }
}

/**
 * A token estimate before the call, for token limits: the prompt at about
 * four characters a token, plus `max_tokens` (or `max_completion_tokens`)
 * when the request sets it. Reconciled with the real usage afterwards.
 */
export function estimateTokens(body: Record<string, unknown> | null): number {
  if (body === null) return 0;
  let chars = 0;
  const walk = (v: unknown): void => {
    if (typeof v === "string") chars += v.length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(body.messages ?? body.input ?? body.prompt ?? body.system);
  const max = num(body.max_tokens) || num(body.max_completion_tokens);
  return Math.ceil(chars / 4) + max;
}
