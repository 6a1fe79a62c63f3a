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

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";

  /** The complete events in `chunk` (plus what was pending). */
  push(chunk: Buffer): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    return this.drain();
  }

  /** Text left without a terminating blank line (a cut stream), or "". */
  rest(): string {
    this.buffer += this.decoder.decode();
    return this.buffer;
  }

  private drain(): SseEvent[] {
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (m === null) return out;
      const end = m.index + m[0].length;
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
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

/** `data: <json>\n\n` */
export function sseData(value: unknown): Buffer {
  return Buffer.from(`data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`);
}

export const SSE_DONE = Buffer.from("data: [DONE]\n\n");
