import { crc32 } from "node:zlib";
import { EventStreamCodec, type MessageHeaders } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";

/**
 * Decoder for the AWS event stream (`application/vnd.amazon.eventstream`),
 * the binary framing of Bedrock's ConverseStream, on AWS's own codec
 * (`EventStreamCodec`), which checks both CRCs and parses the headers. One
 * message is
 *
 *   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
 *
 * big-endian. The codec takes whole frames; this class cuts them out of
 * bytes that arrive split anywhere, and checks the prelude before trusting
 * the length it declares, so a corrupt or hostile length is never buffered.
 */

export type { MessageHeaders } from "@smithy/core/event-streams";

export interface EventStreamMessage {
  /** Tagged values, e.g. `{ ":event-type": { type: "string", value: "messageStart" } }`. */
  headers: MessageHeaders;
  payload: Buffer;
}

/** A frame that cannot be decoded (bad CRC, impossible length, unknown header type). */
export class EventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EventStreamError";
  }
}

/** The value of a string header, or undefined when absent or of another type. */
export function stringHeader(m: EventStreamMessage, name: string): string | undefined {
  const h = m.headers[name];
  return h?.type === "string" ? h.value : undefined;
}

const PRELUDE = 12;
const OVERHEAD = 16;
/** AWS's limits: 16 MiB per message, 128 KiB of headers. */
const MAX_MESSAGE = 16 * 1024 * 1024;
const MAX_HEADERS = 128 * 1024;

export class EventStreamDecoder {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private chunks: Buffer[] = [];
  private size = 0;
  private error: EventStreamError | null = null;

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.size;
  }

  /**
   * Appends bytes; returns the frames they complete and, when a frame is
   * corrupt, the error (after the good frames before it). Once an error is
   * returned the decoder is dead: later pushes return it again.
   */
  push(chunk: Buffer): { messages: EventStreamMessage[]; error: EventStreamError | null } {
    const messages: EventStreamMessage[] = [];
    if (this.error !== null) return { messages, error: this.error };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    try {
      for (let m = this.next(); m !== null; m = this.next()) messages.push(m);
    } catch (err) {
      this.error = err instanceof EventStreamError ? err : new EventStreamError(`event stream frame is invalid: ${err instanceof Error ? err.message : String(err)}`);
      this.chunks = [];
      this.size = 0;
    }
    return { messages, error: this.error };
  }

  /** The first `n` bytes as one buffer (joins the chunks only when the first is shorter). */
  private peek(n: number): Buffer {
    if (this.chunks.length > 1 && (this.chunks[0] as Buffer).length < n) {
      this.chunks = [Buffer.concat(this.chunks, this.size)];
    }
    return this.chunks[0] as Buffer;
  }

  private consume(n: number): Buffer {
    const head = this.peek(n);
    const frame = head.subarray(0, n);
    const rest = head.subarray(n);
    if (rest.length > 0) this.chunks[0] = rest;
    else this.chunks.shift();
    this.size -= n;
    return frame;
  }

  private next(): EventStreamMessage | null {
    if (this.size < PRELUDE) return null;
    const prelude = this.peek(PRELUDE);
    if (crc32(prelude.subarray(0, 8)) !== prelude.readUInt32BE(8)) {
      throw new EventStreamError("event stream prelude CRC mismatch");
    }
    const total = prelude.readUInt32BE(0);
    const headersLength = prelude.readUInt32BE(4);
    if (total < OVERHEAD || total > MAX_MESSAGE || headersLength > MAX_HEADERS || headersLength > total - OVERHEAD) {
      throw new EventStreamError(`event stream frame has an impossible length (total ${total}, headers ${headersLength})`);
    }
    if (this.size < total) return null;
    const { headers, body } = this.codec.decode(this.consume(total));
    return { headers, payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
}
