import { createHash, createHmac } from "node:crypto";
import { Hash } from "@smithy/core/serde";
import { ALGORITHM_IDENTIFIER, AMZ_DATE_HEADER, KEY_TYPE_IDENTIFIER, SHA256_HEADER, SignatureV4, TOKEN_HEADER, createScope, getCanonicalHeaders } from "@smithy/signature-v4";

/**
 * AWS Signature Version 4 for Bedrock Runtime (signing name `bedrock`),
 * header-based, with AWS's own signer (`@smithy/signature-v4`). Signed
 * headers are exactly `host`, `x-amz-content-sha256`, `x-amz-date` and,
 * with temporary credentials, `x-amz-security-token`: content headers are
 * left unsigned so a proxy may rewrite them without breaking the signature.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignInput {
  method: string;
  /** Absolute URL as sent (path already percent-encoded, e.g. `%3A` in the model id). */
  url: string | URL;
  /** Headers of the request; only `host` is read (else the URL's host:port is used). */
  headers?: Record<string, string | string[] | undefined>;
  body: Buffer | Uint8Array | string;
  credentials: AwsCredentials;
  region: string;
  date: Date;
  /** Signing name; Bedrock Runtime signs as `bedrock` (not `bedrock-runtime`). */
  service?: string;
}

/** The headers to add to the request (lower-case names). */
export interface SignedHeaders {
  authorization: string;
  "x-amz-date": string;
  "x-amz-content-sha256": string;
  "x-amz-security-token"?: string;
}

type HttpRequest = Parameters<typeof getCanonicalHeaders>[0];

const sha256Hex = (data: Buffer | Uint8Array | string): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/**
 * The library's signer with a synchronous `signHeaders`: the translated
 * request is built synchronously on the request path, and the library's
 * `sign` is async only because its hash interface is. The canonical request
 * (path normalisation and the second URI-encoding of the already encoded
 * model id, query, header folding) is the library's; only the three hash
 * steps run on node:crypto. The tests check it against the library's `sign`.
 */
class SyncSignatureV4 extends SignatureV4 {
  constructor(
    private readonly credentials: AwsCredentials,
    private readonly signingRegion: string,
    service: string,
  ) {
    super({ credentials, region: signingRegion, service, sha256: Hash.bind(null, "sha256") });
  }

  signHeaders(request: HttpRequest, body: Buffer | Uint8Array | string, date: Date): SignedHeaders {
    const { longDate, shortDate } = this.formatDate(date);
    const scope = createScope(shortDate, this.signingRegion, this.service);
    const payloadHash = sha256Hex(body);
    const token = this.credentials.sessionToken;
    request.headers[AMZ_DATE_HEADER] = longDate;
    request.headers[SHA256_HEADER] = payloadHash;
    if (token !== undefined && token !== "") request.headers[TOKEN_HEADER] = token;
    const canonicalHeaders = getCanonicalHeaders(request);
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const stringToSign = `${ALGORITHM_IDENTIFIER}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    let key: Buffer | string = `AWS4${this.credentials.secretAccessKey}`;
    for (const part of [shortDate, this.signingRegion, this.service, KEY_TYPE_IDENTIFIER]) key = hmac(key, part);
    const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
    const out: SignedHeaders = {
      authorization: `${ALGORITHM_IDENTIFIER} Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${this.getCanonicalHeaderList(canonicalHeaders)}, Signature=${signature}`,
      "x-amz-date": longDate,
      "x-amz-content-sha256": payloadHash,
    };
    if (token !== undefined && token !== "") out["x-amz-security-token"] = token;
    return out;
  }
}

function hostOf(url: URL, headers: SignInput["headers"]): string {
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === "host" && v !== undefined) return (Array.isArray(v) ? (v[0] ?? "") : v).trim();
  }
  return url.host;
}

/** The URL as the library's request shape; only `host` goes in, so only the headers above are signed. */
function toSignable(method: string, url: URL, host: string): HttpRequest {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return {
    method: method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query,
    headers: { host },
  };
}

/** Signs a request; returns the headers to add (`authorization`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`?). */
export function signRequest(input: SignInput): SignedHeaders {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const signer = new SyncSignatureV4(input.credentials, input.region, input.service ?? "bedrock");
  return signer.signHeaders(toSignable(input.method, url, hostOf(url, input.headers)), input.body, input.date);
}
