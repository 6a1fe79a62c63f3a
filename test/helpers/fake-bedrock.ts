import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { encodeFrame, encodeFrames, type FrameSpec } from "./eventstream.js";

/**
 * A fake Amazon Bedrock Runtime on 127.0.0.1:0 for gateway integration
 * tests. Every request's SigV4 signature is recomputed with AWS's own
 * implementation (`@smithy/signature-v4`, not aigw's signer) from what was
 * received: raw path, the headers named in `SignedHeaders` (with the Host
 * the request arrived with, e.g. `127.0.0.1:PORT`), `x-amz-date`, and the
 * body. A mismatch answers 403 `InvalidSignatureException` as Bedrock does
 * (`{"message"}` body, `x-amzn-errortype` header). Verified requests to
 * `POST /model/{modelId}/converse` replay converse.response.json;
 * `/converse-stream` replays the frames of converse-stream.events.json as a
 * binary `application/vnd.amazon.eventstream` body. `behaviour` switches
 * to an HTTP error, an in-stream exception or a cut stream.
 */

const FIXTURES = new URL("../fixtures/ai/bedrock/", import.meta.url);

interface StreamFixture {
  response: { headers: Record<string, string>; frames: FrameSpec[] };
  exception_example: { frame: FrameSpec };
}

export const converseResponseFixture = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL("converse.response.json", FIXTURES), "utf8")) as Record<string, unknown>;

export const converseStreamFixture = (): StreamFixture =>
  JSON.parse(readFileSync(new URL("converse-stream.events.json", FIXTURES), "utf8")) as StreamFixture;

export interface FakeBedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type FakeBedrockBehaviour =
  | { kind: "ok" }
  /** Answer every verified request with this Bedrock error. */
  | { kind: "error"; status: number; errorType: string; message: string }
  /** Streams: send the first `afterFrames` frames, then the fixture's exception frame (or `exceptionType`/`message`). */
  | { kind: "stream-exception"; afterFrames: number; exceptionType?: string; message?: string }
  /** Streams: send `afterBytes` bytes of the event stream, then reset the connection. */
  | { kind: "stream-cut"; afterBytes: number };

export interface BedrockRecord {
  method: string;
  /** Raw request target as received (`/model/…%3A0/converse`). */
  url: string;
  /** The decoded model id from the path. */
  modelId: string;
  operation: "converse" | "converse-stream";
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  /** Whether the signature checked out (rejected requests are recorded too). */
  verified: boolean;
}

export interface FakeBedrockOptions {
  credentials: FakeBedrockCredentials;
  region: string;
  /** Reject `x-amz-date` further than this from the real clock (AWS: 15 min). Off by default. */
  maxSkewMs?: number;
}

const REQUEST_ID = "5f0c2a7e-3b9d-4e61-a8f2-9c4d7b1e6a30";

class Rejection {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly message: string,
  ) {}
}

function sendError(res: ServerResponse, status: number, errorType: string, message: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-requestid": REQUEST_ID,
    "x-amzn-errortype": `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  });
  res.end(JSON.stringify({ message }));
}

function parseAuthorization(value: string | undefined): { credential: string[]; signedHeaders: string[]; signature: string } {
  if (value === undefined || value === "") throw new Rejection(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(value);
  if (m === null) throw new Rejection(403, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' parameters.");
  return { credential: (m[1] as string).split("/"), signedHeaders: (m[2] as string).split(";"), signature: m[3] as string };
}

function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

function amzDateToDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m === null ? null : new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

export class FakeBedrock {
  readonly requests: BedrockRecord[] = [];
  behaviour: FakeBedrockBehaviour = { kind: "ok" };
  url = "";
  private readonly server: Server;
  private readonly signer: SignatureV4;
  private readonly signerNoChecksum: SignatureV4;

  constructor(readonly options: FakeBedrockOptions) {
    const base = { credentials: options.credentials, region: options.region, service: "bedrock", sha256: Hash.bind(null, "sha256") };
    this.signer = new SignatureV4(base);
    this.signerNoChecksum = new SignatureV4({ ...base, applyChecksum: false });
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: FakeBedrockOptions): Promise<FakeBedrock> {
    const fake = new FakeBedrock(options);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get last(): BedrockRecord {
    const r = this.requests[this.requests.length - 1];
    if (r === undefined) throw new Error("the fake Bedrock received no request");
    return r;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Recomputes the signature with @smithy/signature-v4; throws a Rejection on any mismatch. */
  private async verify(req: IncomingMessage, body: Buffer): Promise<void> {
    const auth = parseAuthorization(req.headers.authorization);
    const [accessKeyId, shortDate, region, service, terminator] = auth.credential;
    const { credentials } = this.options;
    if (accessKeyId !== credentials.accessKeyId) {
      throw new Rejection(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    if (region !== this.options.region || service !== "bedrock" || terminator !== "aws4_request") {
      throw new Rejection(403, "InvalidSignatureException", `Credential should be scoped to a valid region and service 'bedrock', not '${region}/${service}'.`);
    }
    const token = req.headers["x-amz-security-token"];
    if ((credentials.sessionToken ?? undefined) !== token) {
      throw new Rejection(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    const amzDate = req.headers["x-amz-date"];
    const date = typeof amzDate === "string" ? amzDateToDate(amzDate) : null;
    if (date === null || amzDate?.slice(0, 8) !== shortDate) {
      throw new Rejection(400, "IncompleteSignatureException", "X-Amz-Date must be present and match the credential scope date.");
    }
    if (this.options.maxSkewMs !== undefined && Math.abs(Date.now() - date.getTime()) > this.options.maxSkewMs) {
      throw new Rejection(403, "InvalidSignatureException", "Signature expired: the request time is too far from the server time.");
    }
    const bodyHash = createHash("sha256").update(body).digest("hex");
    const declaredHash = req.headers["x-amz-content-sha256"];
    if (declaredHash !== undefined && declaredHash !== bodyHash) {
      throw new Rejection(403, "InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    for (const required of ["host", "x-amz-date"]) {
      if (!auth.signedHeaders.includes(required)) {
        throw new Rejection(403, "InvalidSignatureException", `'${required}' must be a signed header.`);
      }
    }
    // The headers the client signed, with the values this server received.
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const v = req.headers[name];
      if (v === undefined) throw new Rejection(403, "InvalidSignatureException", `Signed header '${name}' is missing.`);
      headers[name] = Array.isArray(v) ? v.join(",") : v;
    }
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const host = headers.host ?? "";
    const signer = auth.signedHeaders.includes("x-amz-content-sha256") ? this.signer : this.signerNoChecksum;
    const signed = await signer.sign(
      {
        method: req.method ?? "GET",
        protocol: "http:",
        hostname: host.replace(/:\d+$/, ""),
        path: q === -1 ? target : target.slice(0, q),
        query: q === -1 ? {} : queryOf(target.slice(q + 1)),
        headers,
        body,
      },
      { signingDate: date, signableHeaders: new Set(auth.signedHeaders) },
    );
    const expected = String(signed.headers.authorization ?? "");
    if (expected !== req.headers.authorization) {
      throw new Rejection(
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.url ?? "/";
    const path = target.split("?")[0] ?? "/";
    const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(path);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = undefined;
    }
    const record: BedrockRecord = {
      method: req.method ?? "",
      url: target,
      modelId: m === null ? "" : decodeURIComponent(m[1] as string),
      operation: m?.[2] === "converse-stream" ? "converse-stream" : "converse",
      headers: req.headers,
      body,
      json,
      verified: false,
    };
    this.requests.push(record);
    try {
      await this.verify(req, body);
    } catch (err) {
      if (err instanceof Rejection) return sendError(res, err.status, err.errorType, err.message);
      return sendError(res, 500, "InternalServerException", String(err));
    }
    record.verified = true;
    if (req.method !== "POST" || m === null) return sendError(res, 404, "UnknownOperationException", "Unknown operation");
    if (json === undefined || json === null || typeof json !== "object") return sendError(res, 400, "ValidationException", "Malformed input request, please reformat your input and try again.");
    const behaviour = this.behaviour;
    if (behaviour.kind === "error") return sendError(res, behaviour.status, behaviour.errorType, behaviour.message);
    if (record.operation === "converse") {
      res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": REQUEST_ID });
      res.end(JSON.stringify(converseResponseFixture()));
      return;
    }
    const fixture = converseStreamFixture();
    res.writeHead(200, { ...fixture.response.headers });
    if (behaviour.kind === "stream-exception") {
      const exception = fixture.exception_example.frame;
      const headers = { ...exception.headers, ...(behaviour.exceptionType === undefined ? {} : { ":exception-type": behaviour.exceptionType }) };
      const payload = behaviour.message === undefined ? exception.payload : { message: behaviour.message };
      for (const f of fixture.response.frames.slice(0, behaviour.afterFrames)) res.write(encodeFrame(f.headers, f.payload));
      res.end(encodeFrame(headers, payload));
      return;
    }
    if (behaviour.kind === "stream-cut") {
      const bytes = encodeFrames(fixture.response.frames);
      // Reset once the bytes are handed to the socket, so the client reads them and then the cut.
      res.write(bytes.subarray(0, behaviour.afterBytes), () => res.destroy());
      return;
    }
    for (const f of fixture.response.frames) res.write(encodeFrame(f.headers, f.payload));
    res.end();
  }
}

/** Starts a fake Bedrock that accepts requests signed with `credentials` for `region`. */
export function fakeBedrock(options: FakeBedrockOptions): Promise<FakeBedrock> {
  return FakeBedrock.start(options);
}
