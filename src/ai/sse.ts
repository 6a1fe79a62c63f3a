/**
 * Server-Sent Events framing: splits bytes arriving in arbitrary chunks
 * into events (`event:` and `data:` fields, blank-line terminated), keeping
 * multi-byte characters whole across chunk boundaries.
 */
export interface SseEvent {
  event: string | undefined;
  data: string;
  /** The event's raw text, terminator included (for byte-exact pass-through). */
  raw: string;
}

/**
 * The most text one event may hold before its blank line: an upstream
 * that never ends an event would otherwise grow the gateway's memory
 * without bound. Real events are a few KB; a tool call's arguments stream
 * over many events.
 */
export const MAX_SSE_EVENT_CHARS = 1024 * 1024;

/** An upstream event grew past MAX_SSE_EVENT_CHARS without ending: the stream is not trusted further. */
export class SseOverflowError extends Error {
  readonly code = "sse_event_too_large";
  constructor(limit: number = MAX_SSE_EVENT_CHARS) {
    super(`an upstream stream event exceeded ${limit} characters without ending`);
    this.name = "SseOverflowError";
  }

  static is(value: unknown): value is SseOverflowError {
    return value instanceof SseOverflowError;
  }
}

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";
  /** Where the search for the next terminator resumes: the text before it holds none. */
  private scanned = 0;
  private readonly terminator = /\r\n\r\n|\n\n|\r\r/g;

  constructor(private readonly maxEventChars: number = MAX_SSE_EVENT_CHARS) {}

  /**
   * Whether the last `push` was exactly whole events: nothing pending
   * before it, nothing left after it, and the events' text is the chunk's
   * bytes (no character split across chunks, nothing replaced as invalid
   * UTF-8). A relay that passes every event on unchanged can then send the
   * chunk itself instead of encoding each event again.
   */
  aligned = false;

  /** The complete events in `chunk` (plus what was pending). Throws SseOverflowError when an event grows past the limit. */
  push(chunk: Buffer): SseEvent[] {
    const fresh = this.buffer === "";
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const out = this.drain();
    this.aligned = fresh && this.buffer === "" && out.length > 0 && byteLengthOf(out) === chunk.length;
    if (this.buffer.length > this.maxEventChars) {
      this.buffer = "";
      this.scanned = 0;
      throw new SseOverflowError(this.maxEventChars);
    }
    return out;
  }

  /** Text left without a terminating blank line (a cut stream), or "". */
  rest(): string {
    this.buffer += this.decoder.decode();
    return this.buffer;
  }

  private drain(): SseEvent[] {
    const out: SseEvent[] = [];
    const terminator = this.terminator;
    for (;;) {
      // A terminator is at most 4 characters: resume 3 before the end of what was searched.
      terminator.lastIndex = Math.max(0, this.scanned - 3);
      const m = terminator.exec(this.buffer);
      if (m === null) {
        this.scanned = this.buffer.length;
        return out;
      }
      const end = m.index + m[0].length;
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
      this.scanned = 0;
      let event: string | undefined;
      const data: string[] = [];
      for (const line of raw.slice(0, m.index).split(/\r\n|\n|\r/)) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (event !== undefined || data.length > 0) out.push({ event, data: data.join("\n"), raw });
    }
  }
}

function byteLengthOf(events: readonly SseEvent[]): number {
  let n = 0;
  for (const e of events) n += Buffer.byteLength(e.raw);
  return n;
}

/** `data: <json>\n\n` */
export function sseData(value: unknown): Buffer {
  return Buffer.from(`data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`);
}

export const SSE_DONE = Buffer.from("data: [DONE]\n\n");
