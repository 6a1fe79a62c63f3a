import { crc32 } from "node:zlib";

/**
 * Decoder for the AWS event stream (`application/vnd.amazon.eventstream`),
 * the binary framing of Bedrock's ConverseStream. One message is
 *
 *   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
 *
 * big-endian; the prelude CRC covers the first 8 bytes, the message CRC
 * everything before it. A header is `[name length u8][name][type u8][value]`.
 * Bytes may arrive split anywhere: the decoder buffers until a whole frame
 * is there, and checks both CRCs before trusting anything it read.
 */

export type HeaderValue = boolean | number | bigint | string | Buffer | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

/** A frame that cannot be decoded (bad CRC, impossible length, unknown header type). */
export class EventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EventStreamError";
  }
}

const PRELUDE = 12;
const OVERHEAD = 16;
/** AWS's limits: 16 MiB per message, 128 KiB of headers. */
const MAX_MESSAGE = 16 * 1024 * 1024;
const MAX_HEADERS = 128 * 1024;

export class EventStreamDecoder {
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
      this.error = err instanceof EventStreamError ? err : new EventStreamError(String(err));
      this.chunks = [];
      this.size = 0;
    }
    return { messages, error: this.error };
  }

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
    const total = prelude.readUInt32BE(0);
    const headersLength = prelude.readUInt32BE(4);
    if (crc32(prelude.subarray(0, 8)) !== prelude.readUInt32BE(8)) {
      throw new EventStreamError("event stream prelude CRC mismatch");
    }
    if (total < OVERHEAD || total > MAX_MESSAGE || headersLength > MAX_HEADERS || headersLength > total - OVERHEAD) {
      throw new EventStreamError(`event stream frame has an impossible length (total ${total}, headers ${headersLength})`);
    }
    if (this.size < total) return null;
    const frame = this.consume(total);
    if (crc32(frame.subarray(0, total - 4)) !== frame.readUInt32BE(total - 4)) {
      throw new EventStreamError("event stream message CRC mismatch");
    }
    return {
      headers: decodeHeaders(frame.subarray(PRELUDE, PRELUDE + headersLength)),
      payload: frame.subarray(PRELUDE + headersLength, total - 4),
    };
  }
}

function decodeHeaders(buf: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let at = 0;
  const need = (n: number): void => {
    if (at + n > buf.length) throw new EventStreamError("event stream header runs past its section");
  };
  while (at < buf.length) {
    const nameLength = buf.readUInt8(at);
    at += 1;
    need(nameLength + 1);
    const name = buf.toString("utf8", at, at + nameLength);
    at += nameLength;
    const type = buf.readUInt8(at);
    at += 1;
    let value: HeaderValue;
    switch (type) {
      case 0:
        value = true;
        break;
      case 1:
        value = false;
        break;
      case 2:
        need(1);
        value = buf.readInt8(at);
        at += 1;
        break;
      case 3:
        need(2);
        value = buf.readInt16BE(at);
        at += 2;
        break;
      case 4:
        need(4);
        value = buf.readInt32BE(at);
        at += 4;
        break;
      case 5:
        need(8);
        value = buf.readBigInt64BE(at);
        at += 8;
        break;
      case 6:
      case 7: {
        need(2);
        const length = buf.readUInt16BE(at);
        at += 2;
        need(length);
        const bytes = buf.subarray(at, at + length);
        value = type === 7 ? bytes.toString("utf8") : Buffer.from(bytes);
        at += length;
        break;
      }
      case 8:
        need(8);
        value = new Date(Number(buf.readBigInt64BE(at)));
        at += 8;
        break;
      case 9:
        need(16);
        value = buf.toString("hex", at, at + 16);
        at += 16;
        break;
      default:
        throw new EventStreamError(`event stream header ${JSON.stringify(name)} has unknown value type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}
