import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { FormData } from "undici";
import { HttpError } from "../errors/http.js";
import { collectThen } from "./collect.js";
import type { Done, RequestContext } from "./types.js";

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

/** What is left of a body over the limit is read and dropped, so the client can read the 413. */
const drainRest = (req: Readable): void => void req.resume();

/**
 * Reads the whole body, at most `maxBytes` (413 beyond; the rest is
 * drained so the client can read the answer), to `done`: the body, or the
 * error (`done` is called once, possibly before this returns).
 */
export function readBodyThen(req: IncomingMessage, maxBytes: number, done: (err: unknown, body: Buffer | null) => void): void {
  try {
    checkDeclaredLength(req, maxBytes);
  } catch (err) {
    done(err, null);
    return;
  }
  collectThen(req, maxBytes, drainRest, (err, body) => {
    if (err !== null) done(err, null);
    else if (body === null) done(new HttpError("payload_too_large", `the request body is larger than ${maxBytes} bytes`), null);
    else done(null, body);
  });
}

/** `readBodyThen` as a promise. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => readBodyThen(req, maxBytes, (err, body) => (body !== null ? resolve(body) : reject(err))));
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
    if (this.req.destroyed && !this.req.complete) {
      this.onError(new Error("the client aborted the request"));
      return;
    }
    this.req.on("data", this.onData);
    this.req.once("end", this.onEnd);
    this.req.once("error", this.onError);
    this.req.once("close", this.onClose);
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

  /** The client's request closed before its end: the upstream must not take what came as the whole body. */
  private readonly onClose = (): void => {
    if (!this.req.complete) this.onError(new Error("the client aborted the request"));
  };

  private detach(): void {
    this.req.off("data", this.onData);
    this.req.off("end", this.onEnd);
    this.req.off("error", this.onError);
    this.req.off("close", this.onClose);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.detach();
    done(err);
  }
}

/** The longest model name accepted: longer ones answer 400 (they are echoed in logs, errors and labels). */
export const MAX_MODEL_CHARS = 256;

/**
 * On AI routes, the body is read once (bounded) and parsed, and its `model`
 * noted; stages that need it call this. Elsewhere bodies stream.
 */
export async function readAiBody(ctx: RequestContext, maxBytes: number): Promise<Record<string, unknown> | null> {
  if (needsAiBody(ctx)) await readModelBody(ctx, maxBytes);
  return ctx.json;
}

/** `readAiBody` with a callback: no promise, and `done` in the same call when the body is already read (or there is none). */
export function readAiBodyThen(ctx: RequestContext, maxBytes: number, done: Done): void {
  if (needsAiBody(ctx)) readModelBodyThen(ctx, maxBytes, done);
  else done();
}

function needsAiBody(ctx: RequestContext): boolean {
  return ctx.body === null && ctx.route?.compiled.ai === true && hasBody(ctx.req);
}

/**
 * Reads the whole body (bounded) and the model it names: the `model` of a
 * JSON object, or the one `model` field of a multipart form (audio, images).
 * A form with two `model` fields, or a model name over MAX_MODEL_CHARS,
 * answers 400: the gateway and the upstream must not read different models.
 * `done` is called once, with the error if there is one.
 */
export function readModelBodyThen(ctx: RequestContext, maxBytes: number, done: Done): void {
  readBodyThen(ctx.req, maxBytes, (err, body) => {
    if (body === null) {
      done(err);
      return;
    }
    ctx.body = body;
    ctx.bytesIn = body.length;
    const contentType = ctx.req.headers["content-type"];
    if (contentType !== undefined && /^multipart\/form-data\s*;/i.test(contentType)) {
      formModel(body, contentType).then((model) => done(noteModel(ctx, model)), done);
      return;
    }
    ctx.json = parseJsonBody(body);
    done(noteModel(ctx, ctx.json?.model));
  });
}

/** `readModelBodyThen` as a promise. */
export function readModelBody(ctx: RequestContext, maxBytes: number): Promise<void> {
  return new Promise((resolve, reject) => readModelBodyThen(ctx, maxBytes, (err) => (err === undefined ? resolve() : reject(err))));
}

/** Notes the body's model on the request; the error when it is refused. */
function noteModel(ctx: RequestContext, model: unknown): HttpError | undefined {
  if (typeof model !== "string") return undefined;
  if (model.length > MAX_MODEL_CHARS) return new HttpError("invalid_body", `the model name is longer than ${MAX_MODEL_CHARS} characters`);
  ctx.model = model;
  return undefined;
}

/** The `model` field of a multipart form, undefined when there is none or the form does not parse. */
async function formModel(body: Buffer, contentType: string): Promise<unknown> {
  let form: FormData;
  try {
    // undici is loaded here, not at start-up: `aigw validate` imports this module and never reads a form.
    const { Response } = await import("undici");
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch {
    return undefined;
  }
  const models = form.getAll("model");
  if (models.length > 1) throw new HttpError("invalid_body", "the form has more than one `model` field");
  return typeof models[0] === "string" ? models[0] : undefined;
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
