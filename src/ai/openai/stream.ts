import { usageOf, type Usage } from "../../usage/extract.js";
import { SSE_DONE, SseSplitter, eventOf, sseData } from "../sse.js";
import type { StreamTranslator, TranslateContext } from "../types.js";

const USAGE_KEY = 'usage":';

/**
 * Finds `usage":` in one text front to back: each search resumes where the
 * last one ended, so looking through every event of a chunk in order scans
 * the chunk once (a search per event through the rest of the chunk would
 * make a chunk of many events quadratic).
 */
class UsageKeys {
  /** The first occurrence at or after the last `from` asked for (-1: none left; -2: not searched yet). */
  private at = -2;

  constructor(private readonly text: string) {}

  /** The first `usage":` at or after `from` (`from` never goes back between calls), or -1. */
  next(from: number): number {
    if (this.at === -2 || (this.at !== -1 && this.at < from)) this.at = this.text.indexOf(USAGE_KEY, from);
    return this.at;
  }
}

/**
 * Whether the event at `start`..`end` of `text` passes through without a
 * look at its fields: one `data: {…}` line (the event's text, Latin-1, so
 * one character per byte) that is not an error and whose every `"usage":`
 * is `null` (as in every chunk before the last). Anything else (the usage
 * chunk, an error, `[DONE]`, comments, several lines) is decoded and
 * parsed, so this only ever sends the common case the short way.
 */
function plainChunk(text: string, start: number, end: number, keys: UsageKeys): boolean {
  if (end - start < 9 || text.indexOf("\n", start) !== end - 2 || !text.startsWith("data: {", start) || text.startsWith('{"error"', start + 6)) return false;
  // Searched as `usage":` then the quote before it: a search starting with `"` stops at every quote of the JSON.
  for (let at = keys.next(start + 8); at !== -1 && at < end; at = keys.next(at + 7)) {
    if (text.charCodeAt(at - 1) !== 0x22) continue;
    let i = at + 7;
    while (text.charCodeAt(i) === 0x20) i++;
    if (!text.startsWith("null", i)) return false;
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

  /**
   * Whether event `i` of the last push goes on to the client (comment-only
   * events do not; nor the usage chunk the client did not ask for). `keys`
   * searches the chunk's view.
   */
  const keep = (i: number, keys: UsageKeys): boolean => {
    const start = splitter.starts[i]!;
    let latin1: string;
    if (start >= 0) {
      const end = splitter.ends[i]!;
      if (plainChunk(splitter.view, start, end, keys)) return true;
      latin1 = splitter.view.slice(start, end);
    } else {
      latin1 = splitter.event(i).toString("latin1");
      if (plainChunk(latin1, 0, latin1.length, new UsageKeys(latin1))) return true;
    }
    // The end of every stream, in the one form servers send it: no need to decode and parse its lines.
    if (latin1 === DONE_EVENT) {
      done = true;
      return true;
    }
    const raw = splitter.event(i);
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
      const count = splitter.push(chunk);
      const keys = new UsageKeys(splitter.view);
      // null while every event so far is kept: then the chunk itself may go on.
      let kept: Buffer[] | null = null;
      for (let i = 0; i < count; i++) {
        if (keep(i, keys)) {
          if (kept !== null) kept.push(splitter.event(i));
        } else if (kept === null) {
          kept = [];
          for (let j = 0; j < i; j++) kept.push(splitter.event(j));
        }
      }
      if (kept !== null) return kept;
      return splitter.aligned ? [chunk] : splitter.events();
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
