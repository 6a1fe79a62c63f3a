import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { HttpError } from "../errors/http.js";
import type { RequestContext } from "./context.js";

/** Whether a request has a body at all (RFC 9112 6.3). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined || (req.httpVersionMajor >= 2 && !req.readableEnded);
}

/** 413 up front when Content-Length already says the body is too large. */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const length = req.headers["content-length"];
  if (length !== undefined && Number(length) > maxBytes) {
    throw new HttpError("payload_too_large", `the request body is larger than ${maxBytes} bytes`);
  }
}

/** Reads the whole body, at most `maxBytes` (413 beyond). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  checkDeclaredLength(req, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw new HttpError("payload_too_large", `the request body is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Passes a streamed body through, failing with 413 once it exceeds `maxBytes`. */
export class BodyLimit extends Transform {
  private seen = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly onBytes?: (total: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    this.onBytes?.(this.seen);
    if (this.seen > this.maxBytes) done(new HttpError("payload_too_large", `the request body is larger than ${this.maxBytes} bytes`));
    else done(null, chunk);
  }
}

/**
 * On AI routes, the body is read once (bounded) and parsed, and its `model`
 * noted; stages that need it call this. Elsewhere bodies stream.
 */
export async function readAiBody(ctx: RequestContext, maxBytes: number): Promise<Record<string, unknown> | null> {
  if (ctx.body === null && ctx.route?.compiled.ai === true && hasBody(ctx.req)) {
    ctx.body = await readBody(ctx.req, maxBytes);
    ctx.bytesIn = ctx.body.length;
    ctx.json = parseJsonBody(ctx.body);
    const model = ctx.json?.model;
    if (typeof model === "string") ctx.model = model;
  }
  return ctx.json;
}

/** The body as a JSON object, or null. */
export function parseJsonBody(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return null;
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
