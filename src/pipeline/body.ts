import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
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

/** Reads the whole body, at most `maxBytes` (413 beyond). Event-driven: cheaper than async iteration. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  checkDeclaredLength(req, maxBytes);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.resume();
        reject(new HttpError("payload_too_large", `the request body is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAborted = (): void => onError(new Error("the client aborted the request"));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("aborted", onAborted);
  });
}

/**
 * The request body as the upstream request's body: it starts reading the
 * client's request only when the upstream side asks for data, so a request
 * whose connection was refused leaves the client's body untouched (and can
 * be retried on another target); it fails with 413 beyond `maxBytes`; and
 * when the upstream side gives up, only this stream is destroyed, never the
 * client's request (which would cut its connection).
 */
export class RequestBody extends Readable {
  private seen = 0;
  private started = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly maxBytes: number,
    private readonly onBytes?: (total: number) => void,
  ) {
    super();
  }

  override _read(): void {
    if (this.started) {
      this.req.resume();
      return;
    }
    this.started = true;
    this.req.on("data", this.onData);
    this.req.once("end", this.onEnd);
    this.req.once("error", this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.seen += chunk.length;
    this.onBytes?.(this.seen);
    if (this.seen > this.maxBytes) {
      this.detach();
      this.destroy(new HttpError("payload_too_large", `the request body is larger than ${this.maxBytes} bytes`));
      return;
    }
    if (!this.push(chunk)) this.req.pause();
  };

  private readonly onEnd = (): void => {
    this.detach();
    this.push(null);
  };

  private readonly onError = (err: Error): void => {
    this.detach();
    this.destroy(err);
  };

  private detach(): void {
    this.req.off("data", this.onData);
    this.req.off("end", this.onEnd);
    this.req.off("error", this.onError);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.detach();
    done(err);
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
