import type { Usage } from "../usage/extract.js";

/**
 * The seam between the OpenAI-compatible surface and each provider's own
 * API. A translator is pure: bytes and JSON in, bytes and JSON out; the
 * proxy does the I/O. OpenAI, Ollama and mock upstreams need none.
 */

/** An OpenAI Chat Completions request body (only what translators read is typed). */
export interface OpenAIChatRequest {
  model: string;
  messages: Record<string, unknown>[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  tools?: Record<string, unknown>[];
  tool_choice?: unknown;
  [key: string]: unknown;
}

/** What a translator needs to know about the upstream and the request. */
export interface TranslateContext {
  /** The model the client asked for (the upstream's model id). */
  model: string;
  /** `defaults.maxTokens`, for providers that require `max_tokens`. */
  defaultMaxTokens: number;
  /** Anthropic: the `anthropic-version` sent (2023-06-01 maps sampling parameters; 2026-10-21 drops them). */
  anthropicVersion?: string;
  /** Bedrock: the region (for the endpoint). */
  region?: string;
  /** Gateway clock, seconds since the epoch, for `created`. */
  nowSeconds: number;
  /** A fresh id for responses that carry none (`chatcmpl-…`). */
  id: string;
  /** The client asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** An upstream request, before credentials and signing. */
export interface ProviderRequest {
  /** Path on the upstream (`/v1/messages`, `/model/<id>/converse-stream`). */
  path: string;
  /** Content headers only (content-type, accept, anthropic-version…); auth is added by the proxy. */
  headers: Record<string, string>;
  body: Buffer;
}

/** An OpenAI-shaped error: status and `{"error":{"message","type","param","code"}}`. */
export interface OpenAIError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** Turns a provider's stream into OpenAI `chat.completion.chunk` SSE, chunk by chunk. */
export interface StreamTranslator {
  /** Bytes from the upstream → zero or more SSE bytes for the client (never held back longer than needed). */
  push(chunk: Buffer): Buffer[];
  /**
   * The upstream body ended. Returns the final bytes: `data: [DONE]` only
   * when the provider's stream ended properly; an error event (and no
   * `[DONE]`) when it ended early or failed in-band.
   */
  end(): Buffer[];
  /** Usage reported by the stream so far (for metering, even when the client did not ask for it). */
  usage(): Usage | null;
  /** The stream failed in-band or was cut (for logs and the breaker). */
  failed(): boolean;
  /** The translator wants no more input (a guard blocked the stream): the upstream request is cut. */
  halted?(): boolean;
}

export interface ChatTranslator {
  request(body: OpenAIChatRequest, ctx: TranslateContext): ProviderRequest;
  /** A non-streaming provider response (parsed JSON) → an OpenAI `chat.completion`. */
  response(body: unknown, ctx: TranslateContext): Record<string, unknown>;
  stream(ctx: TranslateContext): StreamTranslator;
  /** A provider error response → OpenAI's error shape and a sensible status. */
  error(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): OpenAIError;
  /** Usage from a non-streaming provider response. */
  usage(body: unknown): Usage | null;
}
