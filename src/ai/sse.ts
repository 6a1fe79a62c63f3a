import { TextDecoder } from "node:util";

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
  private readonly decoder: TextDecoder;
  private buffer = "";
  /** Where the search for the next terminator resumes: the text before it holds none. */
  private scanned = 0;
  private readonly terminator = /\r\n\r\n|\n\n|\r\r/g;

  /** `bomSkipped`: the stream's opening byte-order mark was already taken off (a later one is text). */
  constructor(
    private readonly maxEventChars: number = MAX_SSE_EVENT_CHARS,
    bomSkipped = false,
  ) {
    this.decoder = new TextDecoder("utf-8", { ignoreBOM: bomSkipped });
  }

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
      const event = eventOf(raw, m.index);
      if (event !== null) out.push(event);
    }
  }
}

/**
 * The fields of one event's text (`raw`, whose first `bodyEnd` characters
 * precede the blank line), or null when it has none (only comments).
 */
export function eventOf(raw: string, bodyEnd: number): SseEvent | null {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of raw.slice(0, bodyEnd).split(/\r\n|\n|\r/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return event !== undefined || data.length > 0 ? { event, data: data.join("\n"), raw } : null;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);

/**
 * Splits an SSE byte stream into events without decoding them, for a relay
 * that passes most events on untouched. This holds while the stream ends
 * its lines with `\n` only, as OpenAI-compatible servers do; from the first
 * `\r` on, `SseParser` takes over (fed what was pending) and its events are
 * handed on as bytes, so every line ending the text parser knows still
 * works. Events that span chunks are gathered as a list and joined once.
 *
 * An event wholly inside the chunk just pushed is only a range of that
 * chunk (`starts`, `ends`, into `view`): its bytes are made (`event(i)`)
 * only when a caller needs them apart from the chunk, so a relay that
 * sends the chunk on as it came makes no object per event.
 */
export class SseSplitter {
  /** Whether the last `push` was exactly whole events (see SseParser.aligned). */
  aligned = false;
  /**
   * The last chunk split as Latin-1 text (one character per byte), and
   * where in it each event of the last `push` starts and ends (start -1
   * for an event not wholly in it): callers look into events with string
   * methods, not a native call per search. Only the first `count` entries
   * are the last push's (the arrays are reused, never shrunk: setting an
   * array's length is not cheap).
   */
  view = "";
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** How many events the last `push` completed. */
  count = 0;
  /** The bytes of events not wholly in the last chunk (by index; null for those that are). */
  private readonly made: (Buffer | null)[] = [];
  /** Some entry of `made` holds bytes (cleared at the next push, so a joined event is not kept alive). */
  private madeAny = false;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private text: SseParser | null = null;

  constructor(private readonly maxEventBytes: number = MAX_SSE_EVENT_CHARS) {}

  /** Splits `chunk` (plus what was pending); returns how many events it completed. Throws SseOverflowError when an event grows past the limit. */
  push(chunk: Buffer): number {
    this.count = 0;
    if (this.madeAny) {
      this.made.fill(null);
      this.madeAny = false;
    }
    this.split(this.atStart ? this.skipBom(chunk) : chunk);
    // Aligned only if the events are exactly the caller's chunk (not a mark skipped, nor pending bytes merged in).
    this.aligned &&= this.splitFrom === chunk;
    return this.count;
  }

  /** The raw bytes of event `i` of the last push (blank line included). */
  event(i: number): Buffer {
    return this.made[i] ?? this.splitFrom.subarray(this.starts[i], this.ends[i]);
  }

  /** The raw bytes of every event of the last push. */
  events(): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.event(i));
    return out;
  }

  /** The chunk the last split worked on (the caller's, or one with pending bytes merged in). */
  private splitFrom: Buffer = EMPTY;

  /** Notes the next event: bytes of its own (`bytes`), or the range `start`..`end` of the chunk split. */
  private add(bytes: Buffer | null, start: number, end: number): void {
    const i = this.count++;
    this.made[i] = bytes;
    if (bytes !== null) this.madeAny = true;
    this.starts[i] = start;
    this.ends[i] = end;
  }

  private split(chunk: Buffer): void {
    this.splitFrom = chunk;
    if (chunk.length === 0) {
      // Nothing to split, and nothing to hold (an empty part would hide a blank line split across chunks).
      this.aligned = false;
      return;
    }
    if (this.text === null && chunk.indexOf(CR) !== -1) {
      this.text = new SseParser(this.maxEventBytes, true);
      if (this.partBytes > 0) {
        this.parts.push(chunk);
        chunk = Buffer.concat(this.parts);
        this.splitFrom = chunk;
        this.parts = [];
        this.partBytes = 0;
      }
    }
    if (this.text !== null) {
      const events = this.text.push(chunk);
      this.aligned = this.text.aligned;
      this.view = "";
      for (const e of events) this.add(Buffer.from(e.raw), -1, -1);
      return;
    }
    const fresh = this.partBytes === 0;
    const view = (this.view = chunk.toString("latin1"));
    let start = 0;
    if (!fresh) {
      // The blank line may straddle the boundary: the pending bytes end with `\n` and the chunk starts with one.
      const last = this.parts[this.parts.length - 1]!;
      let end: number;
      if (last[last.length - 1] === LF && chunk[0] === LF) end = 1;
      else {
        const at = view.indexOf("\n\n");
        if (at === -1) {
          this.hold(chunk);
          this.aligned = false;
          return;
        }
        end = at + 2;
      }
      this.parts.push(chunk.subarray(0, end));
      this.add(Buffer.concat(this.parts), -1, -1);
      this.parts = [];
      this.partBytes = 0;
      start = end;
    }
    for (;;) {
      const at = view.indexOf("\n\n", start);
      if (at === -1) break;
      this.add(null, start, at + 2);
      start = at + 2;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    this.aligned = fresh && start === chunk.length && this.count > 0;
  }

  /** A byte-order mark opening the stream is not part of it (as TextDecoder, and the SSE spec, have it). */
  private atStart = true;
  private skipBom(chunk: Buffer): Buffer {
    const seen = this.bomBytes + chunk.length;
    if (seen < 3) {
      // Too few bytes yet to tell: hold them back while they could still be a mark.
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== BOM[this.bomBytes + i]) return this.startWith(chunk);
      this.bomBytes = seen;
      return EMPTY;
    }
    for (let i = 0; i < 3 - this.bomBytes; i++) if (chunk[i] !== BOM[this.bomBytes + i]) return this.startWith(chunk);
    this.atStart = false;
    return chunk.subarray(3 - this.bomBytes);
  }
  private bomBytes = 0;

  /** No mark after all: what was held back as its start goes first. */
  private startWith(chunk: Buffer): Buffer {
    this.atStart = false;
    const held = this.bomBytes === 0 ? chunk : Buffer.concat([BOM.subarray(0, this.bomBytes), chunk]);
    this.bomBytes = 0;
    return held;
  }

  private hold(bytes: Buffer): void {
    this.partBytes += bytes.length;
    if (this.partBytes > this.maxEventBytes) {
      this.parts = [];
      this.partBytes = 0;
      throw new SseOverflowError(this.maxEventBytes);
    }
    // A copy: a held slice would keep the whole chunk it came from alive.
    this.parts.push(Buffer.from(bytes));
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
