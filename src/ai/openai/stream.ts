import { usageOf, type Usage } from "../../usage/extract.js";
import { SSE_DONE, SseSplitter, eventOf, sseData } from "../sse.js";
import type { StreamTranslator, TranslateContext } from "../types.js";

/**
 * Whether an event passes through without a look at its fields: one
 * `data: {…}` line (the event's text, Latin-1, so one character per byte)
 * that is not an error and whose every `"usage":` is `null` (as in every
 * chunk before the last). Anything else (the usage chunk, an error,
 * `[DONE]`, comments, several lines) is decoded and parsed, so this only
 * ever sends the common case the short way. Every search stays within the
 * event (a search through the rest of the chunk, once per event, would
 * make a chunk of many events quadratic).
 */
function plainChunk(event: string): boolean {
  const end = event.length;
  if (end < 9 || event.indexOf("\n") !== end - 2 || !event.startsWith("data: {") || event.startsWith('{"error"', 6)) return false;
  // Searched as `usage":` then the quote before it: a search starting with `"` stops at every quote of the JSON.
  for (let at = event.indexOf('usage":', 8); at !== -1; at = event.indexOf('usage":', at + 7)) {
    if (event.charCodeAt(at - 1) !== 0x22) continue;
    let i = at + 7;
    while (event.charCodeAt(i) === 0x20) i++;
    if (!event.startsWith("null", i)) return false;
  }
  return true;
}

/** `data: [DONE]` as one event, the way OpenAI and compatible servers end a stream. */
const DONE_EVENT = "data: [DONE]\n\n";

/**
 * OpenAI-shaped streams (OpenAI, Ollama, OpenAI-compatible servers) pass
 * through event by event, byte for byte, with three exceptions: the usage
 * chunk is dropped when the gateway asked for it on the client's behalf
 * (the client did not), an in-band `{"error":…}` marks the stream failed,
 * and a stream that ends without `[DONE]` gets a final error event instead
 * of looking complete. Events are split as bytes; only the few that may
 * matter (the usage chunk, errors, `[DONE]`, anything unusual) are decoded
 * and parsed, and a chunk of whole events that all pass goes on as it came.
 */
export function openAiStream(ctx: Pick<TranslateContext, "includeUsage">): StreamTranslator {
  const splitter = new SseSplitter();
  let usage: Usage | null = null;
  let done = false;
  let failed = false;

  /** Whether the event goes on to the client (comment-only events do not; nor the usage chunk the client did not ask for). */
  const keep = (raw: Buffer, start: number): boolean => {
    const latin1 = start >= 0 ? splitter.view.slice(start, start + raw.length) : raw.toString("latin1");
    if (plainChunk(latin1)) return true;
    // The end of every stream, in the one form servers send it: no need to decode and parse its lines.
    if (latin1 === DONE_EVENT) {
      done = true;
      return true;
    }
    const text = raw.toString();
    const e = eventOf(text, text.length - (text.endsWith("\r\n\r\n") ? 4 : 2));
    if (e === null) return false;
    if (e.data === "[DONE]") {
      done = true;
      return true;
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
      if (!ctx.includeUsage && Array.isArray(parsed?.choices) && (parsed!.choices as unknown[]).length === 0) return false;
    }
    return true;
  };

  return {
    push(chunk) {
      const events = splitter.push(chunk);
      let kept = events;
      for (let i = 0; i < events.length; i++) {
        if (keep(events[i]!, splitter.starts[i]!)) {
          if (kept !== events) kept.push(events[i]!);
        } else if (kept === events) kept = events.slice(0, i);
      }
      return kept === events && splitter.aligned ? [chunk] : kept;
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
