import { crc32 } from "node:zlib";

/**
 * Encoder for the AWS event stream (`application/vnd.amazon.eventstream`),
 * written independently of the decoder in src/ai/bedrock: real frame layout
 *
 *   [total u32][headers length u32][prelude CRC32][headers][payload][message CRC32]
 *
 * with string headers (type 7). Used to build ConverseStream bodies from
 * bedrock/converse-stream.events.json.
 */

export interface FrameSpec {
  headers: Record<string, string>;
  payload: unknown;
}

function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, "utf8");
    const v = Buffer.from(value, "utf8");
    const head = Buffer.alloc(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(7, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

/** One frame. `payload` is JSON-encoded unless it is already a Buffer. */
export function encodeFrame(headers: Record<string, string>, payload: unknown): Buffer {
  const h = encodeHeaders(headers);
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload), "utf8");
  const total = 12 + h.length + p.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(h.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  h.copy(frame, 12);
  p.copy(frame, 12 + h.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

export function encodeFrames(frames: FrameSpec[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f.headers, f.payload)));
}
