import { createHash, createHmac } from "node:crypto";

/**
 * AWS Signature Version 4 for Bedrock Runtime (signing name `bedrock`),
 * header-based, with node:crypto only. Signed headers are exactly `host`,
 * `x-amz-content-sha256`, `x-amz-date` and, with temporary credentials,
 * `x-amz-security-token`: content headers are left unsigned so a proxy may
 * rewrite them without breaking the signature.
 *
 * Canonical URI: for every service but S3, AWS normalises the path and
 * URI-encodes it once more *on top of* the encoding it already has on the
 * wire. The model id `anthropic.claude-3-5-sonnet-20240620-v1:0` is sent as
 * `/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse` and signed
 * as `/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse`.
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

const ALGORITHM = "AWS4-HMAC-SHA256";

const sha256Hex = (data: Buffer | Uint8Array | string): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/** RFC 3986 encoding: everything but `A–Z a–z 0–9 - _ . ~`. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `20261122T101530Z` and `20261122`. */
export function amzDate(date: Date): { long: string; short: string } {
  const long = date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return { long, short: long.slice(0, 8) };
}

/** Path → canonical URI: drop empty and `.` segments, resolve `..`, then encode the whole (already encoded) path again. */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") segments.pop();
    else segments.push(s);
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  const normalized = `/${segments.join("/")}${trailing}`;
  return uriEscape(normalized).replace(/%2F/g, "/");
}

/** Query string → canonical query: decode, RFC 3986-encode names and values, sort by name then value. */
export function canonicalQuery(search: string): string {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw.length === 0) return "";
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  const pairs = raw
    .split("&")
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf("=");
      const k = eq === -1 ? p : p.slice(0, eq);
      const v = eq === -1 ? "" : p.slice(eq + 1);
      return [uriEscape(decode(k)), uriEscape(decode(v))] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function hostOf(url: URL, headers: SignInput["headers"]): string {
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === "host" && v !== undefined) return (Array.isArray(v) ? (v[0] ?? "") : v).trim();
  }
  return url.host;
}

/** The signing key: HMAC chain over date, region, service and `aws4_request`. */
export function signingKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), service), "aws4_request");
}

/** Signs a request; returns the headers to add (`authorization`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`?). */
export function signRequest(input: SignInput): SignedHeaders {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const service = input.service ?? "bedrock";
  const { long, short } = amzDate(input.date);
  const payloadHash = sha256Hex(input.body);
  const token = input.credentials.sessionToken;

  const canonical: [string, string][] = [
    ["host", hostOf(url, input.headers)],
    ["x-amz-content-sha256", payloadHash],
    ["x-amz-date", long],
  ];
  if (token !== undefined && token !== "") canonical.push(["x-amz-security-token", token]);
  canonical.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const signedHeaders = canonical.map(([k]) => k).join(";");

  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search),
    ...canonical.map(([k, v]) => `${k}:${v.replace(/\s+/g, " ").trim()}`),
    "",
    signedHeaders,
    payloadHash,
  ].join("\n");

  const scope = `${short}/${input.region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, long, scope, sha256Hex(canonicalRequest)].join("\n");
  const signature = createHmac("sha256", signingKey(input.credentials.secretAccessKey, short, input.region, service))
    .update(stringToSign, "utf8")
    .digest("hex");

  const out: SignedHeaders = {
    authorization: `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    "x-amz-date": long,
    "x-amz-content-sha256": payloadHash,
  };
  if (token !== undefined && token !== "") out["x-amz-security-token"] = token;
  return out;
}
