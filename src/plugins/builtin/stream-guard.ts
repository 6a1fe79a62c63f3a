import { SseParser, sseData, type SseEvent } from "../../ai/sse.js";
import type { StreamTranslator } from "../../ai/types.js";
import type { Usage } from "../../usage/extract.js";
import { redact, type Matcher } from "./detect.js";

/**
 * Characters of a match that a stream may hold back beyond `window`: a
 * match still growing past them (`sk-` and then an endless run) ends the
 * stream as if blocked. Holding it without bound would rescan an ever
 * longer text at every chunk; releasing it would let the rest of it out.
 */
export const MAX_HELD_MATCH = 1024;

/**
 * The text of one choice of a stream, scanned as it arrives. The last
 * `window` characters are held back (and the whole of any match that
 * reaches into them, up to MAX_HELD_MATCH more), so a match that is split
 * across chunks is seen whole before any part of it is sent: every match
 * no longer than `window` is caught. What is released is final (redacted
 * when the policy is `redact`). Each chunk costs a scan of at most
 * `window + MAX_HELD_MATCH` characters plus its own.
 */
export class TailScanner {
  private pending = "";

  constructor(
    private readonly matcher: Matcher,
    private readonly window: number,
    private readonly block: boolean,
  ) {}

  /** The text that can go out now, or the kind of what was found (block, or a match too long to hold). */
  push(text: string): { text: string } | { blocked: string } {
    const buf = this.pending + text;
    const matches = this.matcher.find(buf);
    if (this.block && matches.length > 0) return { blocked: matches[0]!.kind };
    let boundary = Math.max(0, buf.length - this.window);
    for (const m of matches) {
      if (m.end > boundary && m.start < boundary) {
        if (buf.length - m.start > this.window + MAX_HELD_MATCH) return { blocked: m.kind };
        boundary = m.start;
      }
    }
    // Never split a surrogate pair.
    if (boundary > 0 && boundary < buf.length) {
      const c = buf.charCodeAt(boundary - 1);
      if (c >= 0xd800 && c <= 0xdbff) boundary--;
    }
    this.pending = buf.slice(boundary);
    return { text: redact(buf.slice(0, boundary), matches.filter((m) => m.end <= boundary)) };
  }

  /** The rest, at the end of the choice or the stream. */
  flush(): { text: string } | { blocked: string } {
    const buf = this.pending;
    this.pending = "";
    if (buf === "") return { text: "" };
    const matches = this.matcher.find(buf);
    if (this.block && matches.length > 0) return { blocked: matches[0]!.kind };
    return { text: redact(buf, matches) };
  }

  get holding(): boolean {
    return this.pending !== "";
  }
}

interface Choice {
  index?: unknown;
  delta?: { content?: unknown } & Record<string, unknown>;
  finish_reason?: unknown;
}

/**
 * Wraps a stream translator (its output is OpenAI `chat.completion.chunk`
 * events, whatever the provider): `delta.content` of each choice goes
 * through a TailScanner. With `block`, the first match ends the stream: an
 * error event (`response_blocked`), nothing more, no `[DONE]`, and the
 * upstream request is cut (`halted()`).
 */
export function guardStream(inner: StreamTranslator, matcher: Matcher, window: number, block: boolean, onBlock: (kind: string) => void): StreamTranslator {
  return new GuardedStream(inner, matcher, window, block, onBlock);
}

/** What scanning one choice of a chunk did to it. */
type ChoiceOutcome = "blocked" | "untouched" | "changed" | "held";

class GuardedStream implements StreamTranslator {
  private readonly parser = new SseParser();
  private readonly scanners = new Map<number, TailScanner>();
  private blocked = false;
  /** Fields of the last chunk, for the chunk that carries text held back when the stream ends. */
  private meta: Record<string, unknown> = { object: "chat.completion.chunk" };

  constructor(
    private readonly inner: StreamTranslator,
    private readonly matcher: Matcher,
    private readonly window: number,
    private readonly block: boolean,
    private readonly onBlock: (kind: string) => void,
  ) {}

  push(chunk: Buffer): Buffer[] {
    return this.filter(this.inner.push(chunk));
  }

  end(): Buffer[] {
    if (this.blocked) return [];
    const out = this.filter(this.inner.end());
    if (this.blocked) return out;
    // A stream cut before [DONE]: what was held back still goes out
    // (scanned) before the translator's error event. An unterminated
    // last event is dropped: it was never scanned.
    const tail: Buffer[] = [];
    if (!this.flushAll(tail)) return tail;
    return [...tail, ...out];
  }

  usage(): Usage | null {
    return this.inner.usage();
  }

  failed(): boolean {
    return this.inner.failed();
  }

  halted(): boolean {
    return this.blocked;
  }

  private filter(bytes: Buffer[]): Buffer[] {
    if (this.blocked || bytes.length === 0) return [];
    const out: Buffer[] = [];
    for (const b of bytes) {
      for (const e of this.parser.push(b)) if (!this.onEvent(e, out)) return out;
    }
    return out;
  }

  /** Adds what goes out for one event; false once the stream is blocked. */
  private onEvent(e: SseEvent, out: Buffer[]): boolean {
    if (e.data === "[DONE]") {
      if (!this.flushAll(out)) return false;
      out.push(Buffer.from(e.raw));
      return true;
    }
    const chunk = parseChunk(e.data);
    const choices = chunk?.choices;
    if (chunk === undefined || !Array.isArray(choices) || choices.length === 0) {
      out.push(Buffer.from(e.raw));
      return true;
    }
    const { choices: _c, usage: _u, ...rest } = chunk;
    this.meta = rest;
    let changed = false;
    let held = 0;
    for (const choice of choices as Choice[]) {
      const outcome = this.guardChoice(choice, out);
      if (outcome === "blocked") return false;
      if (outcome === "untouched") continue;
      changed = true;
      if (outcome === "held") held++;
    }
    // Every choice's text is held back for now: the chunk says nothing yet.
    if (changed && held === choices.length && chunk.usage == null) return true;
    out.push(changed ? sseData(chunk) : Buffer.from(e.raw));
    return true;
  }

  /** Scans a choice's `delta.content` (all of it once the choice finishes) and puts in its place what can go out now. */
  private guardChoice(choice: Choice, out: Buffer[]): ChoiceOutcome {
    const index = typeof choice.index === "number" ? choice.index : 0;
    const content = choice.delta?.content;
    let text = "";
    let touched = false;
    if (typeof content === "string" && content !== "") {
      const r = this.scanner(index).push(content);
      if ("blocked" in r) {
        out.push(this.stop(r.blocked));
        return "blocked";
      }
      text = r.text;
      touched = true;
    }
    const finished = choice.finish_reason !== null && choice.finish_reason !== undefined;
    const scanner = this.scanners.get(index);
    if (finished && scanner?.holding === true) {
      const r = scanner.flush();
      if ("blocked" in r) {
        out.push(this.stop(r.blocked));
        return "blocked";
      }
      text += r.text;
      touched = true;
    }
    if (!touched) return "untouched";
    if (choice.delta !== undefined) choice.delta.content = text;
    else choice.delta = { content: text };
    return text === "" && !finished && Object.keys(choice.delta).length === 1 ? "held" : "changed";
  }

  private scanner(index: number): TailScanner {
    let s = this.scanners.get(index);
    if (s === undefined) {
      s = new TailScanner(this.matcher, this.window, this.block);
      this.scanners.set(index, s);
    }
    return s;
  }

  private stop(kind: string): Buffer {
    this.blocked = true;
    this.onBlock(kind);
    return sseData({ error: { message: `the response was blocked by response-guard: it contains ${kind}`, type: "invalid_request_error", param: null, code: "response_blocked" } });
  }

  /** Chunks for text still held back (at `[DONE]` or the end), or the block; false when blocked. */
  private flushAll(out: Buffer[]): boolean {
    for (const [index, s] of this.scanners) {
      if (!s.holding) continue;
      const r = s.flush();
      if ("blocked" in r) {
        out.push(this.stop(r.blocked));
        return false;
      }
      out.push(sseData({ ...this.meta, choices: [{ index, delta: { content: r.text }, logprobs: null, finish_reason: null }] }));
    }
    return true;
  }
}

/** A chunk event with choices, parsed; undefined for anything else (passed through as it is). */
function parseChunk(data: string): Record<string, unknown> | undefined {
  if (!data.includes('"choices"')) return undefined;
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
