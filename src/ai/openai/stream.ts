import { usageOf, type Usage } from "../../usage/extract.js";
import { SSE_DONE, SseParser, sseData } from "../sse.js";
import type { StreamTranslator, TranslateContext } from "../types.js";

/**
 * OpenAI-shaped streams (OpenAI, Ollama, OpenAI-compatible servers) pass
 * through event by event, byte for byte, with three exceptions: the usage
 * chunk is dropped when the gateway asked for it on the client's behalf
 * (the client did not), an in-band `{"error":…}` marks the stream failed,
 * and a stream that ends without `[DONE]` gets a final error event instead
 * of looking complete.
 */
export function openAiStream(ctx: TranslateContext): StreamTranslator {
  const parser = new SseParser();
  let usage: Usage | null = null;
  let done = false;
  let failed = false;
  return {
    push(chunk) {
      const events = parser.push(chunk);
      // Events kept, as text: encoded only when one was dropped (else the chunk itself goes out, byte for byte).
      const kept: string[] = [];
      for (const e of events) {
        if (e.data === "[DONE]") {
          done = true;
          kept.push(e.raw);
          continue;
        }
        let parsed: Record<string, unknown> | undefined;
        // Only the usage chunk (a `usage` object, not `null`) and error events are parsed.
        if (/"usage":\s*\{/.test(e.data) || e.data.startsWith('{"error"')) {
          try {
            parsed = JSON.parse(e.data) as Record<string, unknown>;
          } catch {
            parsed = undefined;
          }
        }
        if (parsed?.error !== undefined) failed = true;
        const u = parsed === undefined ? null : usageOf(parsed);
        if (u !== null && (u.inputTokens !== undefined || u.outputTokens !== undefined)) {
          usage = { inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0 };
          if (!ctx.includeUsage && Array.isArray(parsed?.choices) && (parsed!.choices as unknown[]).length === 0) continue;
        }
        kept.push(e.raw);
      }
      if (kept.length === events.length && parser.aligned) return [chunk];
      return kept.map((raw) => Buffer.from(raw));
    },
    end() {
      if (done || failed) return [];
      failed = true;
      return [sseData({ error: { message: "the upstream stream ended before it was complete", type: "server_error", param: null, code: "stream_truncated" } })];
    },
    usage: () => usage,
    failed: () => failed,
  };
}

export { SSE_DONE };
