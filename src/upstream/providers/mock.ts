import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { delay, type Cancel } from "../../lifecycle/cancel.js";
import type { Upstream } from "../../config/types.js";
import type { Clock } from "../../deps.js";
import type { UpstreamResponse } from "../exchange.js";
import { bufferBody, readableBody } from "../body.js";

/**
 * The built-in `mock` upstream: OpenAI-shaped answers computed from the
 * request alone, with no network, so demos and users' own tests are
 * deterministic. Chat completions (plain and SSE, usage included),
 * embeddings and the model list.
 */
export interface MockRequest {
  method: string;
  /** Path without the query. */
  path: string;
  body: Buffer | null;
  cancel: Cancel;
}

interface ChatMessage {
  role?: unknown;
  content?: unknown;
}

const json = (status: number, body: unknown): UpstreamResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: bufferBody(Buffer.from(JSON.stringify(body))),
});

const error = (status: number, type: string, code: string, message: string): UpstreamResponse =>
  json(status, { error: { message, type, param: null, code } });

function parse(body: Buffer | null): Record<string, unknown> | undefined {
  if (body === null || body.length === 0) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p !== null && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join(" ");
  }
  return "";
}

/** About four characters a token, at least one per message: deterministic, close enough for demos. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function shortId(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 24);
}

export class MockProvider {
  constructor(
    private readonly upstream: Upstream,
    private readonly clock: Clock,
  ) {}

  async handle(req: MockRequest): Promise<UpstreamResponse> {
    const latency = this.upstream.mock?.latencyMs ?? 0;
    if (latency > 0) await delay(latency, req.cancel);
    if (req.path === "/v1/models" && req.method === "GET") return this.models();
    if (req.method !== "POST") return error(405, "invalid_request_error", "method_not_allowed", `${req.method} ${req.path} is not supported by the mock upstream`);
    const body = parse(req.body);
    if (body === undefined) return error(400, "invalid_request_error", "invalid_json", "the request body must be a JSON object");
    if (req.path === "/v1/chat/completions") return this.chat(body, req.cancel);
    if (req.path === "/v1/embeddings") return this.embeddings(body);
    return error(404, "invalid_request_error", "unknown_url", `the mock upstream has no ${req.path}`);
  }

  private modelOf(body: Record<string, unknown>): string {
    return typeof body.model === "string" ? body.model : (this.upstream.models?.[0] ?? "mock-1");
  }

  private models(): UpstreamResponse {
    const created = Math.floor(this.clock.now() / 1000);
    return json(200, {
      object: "list",
      data: (this.upstream.models ?? ["mock-1"]).map((id) => ({ id, object: "model", created, owned_by: "aigw-mock" })),
    });
  }

  private chat(body: Record<string, unknown>, cancel: Cancel): UpstreamResponse {
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
    if (messages.length === 0) return error(400, "invalid_request_error", "missing_messages", "`messages` must be a non-empty array");
    const prompt = messages.map((m) => textOf(m.content)).join("\n");
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const reply = this.upstream.mock?.reply ?? `Mock reply from aigw. You said: ${textOf(lastUser?.content).slice(0, 500)}`;
    const model = this.modelOf(body);
    const id = `chatcmpl-mock-${shortId(model + "\u0000" + prompt)}`;
    const created = Math.floor(this.clock.now() / 1000);
    const usage = { prompt_tokens: countTokens(prompt), completion_tokens: countTokens(reply), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    if (body.stream !== true) {
      return json(200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: reply, refusal: null }, logprobs: null, finish_reason: "stop" }],
        usage,
      });
    }
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const chunkDelay = this.upstream.mock?.chunkDelayMs ?? 0;
    const pieces = reply.match(/\S+\s*/g) ?? [reply];
    const envelope = { id, object: "chat.completion.chunk", created, model };
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ ...envelope, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    async function* events(): AsyncGenerator<Buffer> {
      yield Buffer.from(chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]));
      for (const piece of pieces) {
        if (chunkDelay > 0) await delay(chunkDelay, cancel);
        yield Buffer.from(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
      }
      yield Buffer.from(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]));
      if (includeUsage) yield Buffer.from(`data: ${JSON.stringify({ ...envelope, choices: [], usage })}\n\n`);
      yield Buffer.from("data: [DONE]\n\n");
    }
    return {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      body: readableBody(Readable.from(events(), { objectMode: false }), cancel),
    };
  }

  private embeddings(body: Record<string, unknown>): UpstreamResponse {
    const inputs = Array.isArray(body.input) ? body.input.map((x) => String(x)) : [String(body.input ?? "")];
    const dims = typeof body.dimensions === "number" && body.dimensions > 0 && body.dimensions <= 4096 ? Math.floor(body.dimensions) : 8;
    const data = inputs.map((input, index) => ({ object: "embedding", index, embedding: vector(input, dims) }));
    const tokens = inputs.reduce((n, s) => n + countTokens(s), 0);
    return json(200, { object: "list", data, model: this.modelOf(body), usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }
}

/** A unit vector derived from the text's hash. */
function vector(text: string, dims: number): number[] {
  const out: number[] = [];
  let block = createHash("sha256").update(text).digest();
  for (let i = 0; i < dims; i++) {
    if (i > 0 && i % 16 === 0) block = createHash("sha256").update(block).digest();
    out.push(block.readInt16BE((i % 16) * 2) / 32768);
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}
