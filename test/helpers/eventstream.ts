import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";

/**
 * Encoder for the AWS event stream (`application/vnd.amazon.eventstream`)
 * with AWS's own codec, so test bodies are byte for byte what an AWS
 * service sends. Headers are strings (type 7), as in
 * bedrock/converse-stream.events.json.
 */

export interface FrameSpec {
  headers: Record<string, string>;
  payload: unknown;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One frame. `payload` is JSON-encoded unless it is already a Buffer. */
export function encodeFrame(headers: Record<string, string>, payload: unknown): Buffer {
  const tagged = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: "string" as const, value: v }]));
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload), "utf8");
  return Buffer.from(codec.encode({ headers: tagged, body }));
}

export function encodeFrames(frames: FrameSpec[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f.headers, f.payload)));
}
