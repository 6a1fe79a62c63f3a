import type { OpenAIError } from "../types.js";

/**
 * Bedrock errors → OpenAI's error shape (MAPPING.md table 2.6). The error
 * name is the `x-amzn-errortype` header up to the first `:` (HTTP errors)
 * or the `:exception-type` header (in-stream exception frames, where it is
 * the camelCase union member, `throttlingException`); the message is the
 * body's `message`.
 */

interface Mapped {
  status: number;
  type: string;
  code: string | null;
}

const TABLE: Record<string, Mapped> = {
  ValidationException: { status: 400, type: "invalid_request_error", code: null },
  AccessDeniedException: { status: 403, type: "permission_error", code: null },
  ResourceNotFoundException: { status: 404, type: "not_found_error", code: null },
  ModelTimeoutException: { status: 504, type: "timeout_error", code: null },
  ModelErrorException: { status: 502, type: "api_error", code: null },
  ModelStreamErrorException: { status: 502, type: "api_error", code: null },
  ThrottlingException: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  ModelNotReadyException: { status: 503, type: "service_unavailable_error", code: "server_is_overloaded" },
  ServiceQuotaExceededException: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
  InternalServerException: { status: 500, type: "api_error", code: null },
  ServiceUnavailableException: { status: 503, type: "service_unavailable_error", code: null },
};

/**
 * The gateway's own AWS credentials were refused (bad key, bad signature,
 * expired session token). The client's credentials are fine, so this is an
 * upstream failure (502), not a 401 the client would read as "your key is
 * wrong"; a 5xx also lets fallback and the breaker react.
 */
const CREDENTIAL_ERRORS: ReadonlySet<string> = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
]);

const BY_STATUS: Record<number, string> = {
  400: "ValidationException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};

/** `ValidationException:http://internal.amazon.com/...` → `ValidationException`; `throttlingException` → `ThrottlingException`. */
export function exceptionName(raw: string): string {
  const name = raw.split(":")[0]?.trim() ?? "";
  // restJson1 may also send `com.amazon.coral.service#ValidationException` in `__type`.
  const bare = name.includes("#") ? name.slice(name.lastIndexOf("#") + 1) : name;
  return bare.length === 0 ? "" : bare.charAt(0).toUpperCase() + bare.slice(1);
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function asObject(body: unknown): Record<string, unknown> | null {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString("utf8");
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function messageOf(body: Record<string, unknown> | null): string | undefined {
  const m = body?.message ?? body?.Message;
  return typeof m === "string" && m.length > 0 ? m : undefined;
}

/** The OpenAI error for a Bedrock exception name (already normalised) and HTTP status. */
export function mapException(name: string, status: number, message: string | undefined): OpenAIError {
  let mapped = TABLE[name];
  if (mapped === undefined && CREDENTIAL_ERRORS.has(name)) {
    mapped = { status: 502, type: "api_error", code: "upstream_auth_error" };
  }
  if (mapped === undefined) {
    if (status >= 500) mapped = { status: 502, type: "api_error", code: null };
    else if (status === 401 || status === 403) mapped = { status: 502, type: "api_error", code: "upstream_auth_error" };
    else if (status >= 400) mapped = { status, type: "invalid_request_error", code: null };
    else mapped = { status: 502, type: "api_error", code: null };
  }
  const label = name.length > 0 ? name : `HTTP ${status}`;
  return {
    status: mapped.status,
    body: {
      error: {
        message: message ?? `Bedrock returned ${label}`,
        type: mapped.type,
        param: null,
        code: mapped.code,
      },
    },
  };
}

/** A non-2xx Bedrock response → OpenAI's error shape and status. */
export function bedrockError(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): OpenAIError {
  const parsed = asObject(body);
  const fromHeader = headerValue(headers, "x-amzn-errortype");
  const fromBody = typeof parsed?.__type === "string" ? parsed.__type : typeof parsed?.code === "string" ? parsed.code : undefined;
  const name = exceptionName(fromHeader ?? fromBody ?? BY_STATUS[status] ?? "");
  return mapException(name, status, messageOf(parsed));
}

/** An in-stream exception frame (`:exception-type`, JSON payload) → OpenAI's error shape. */
export function streamException(exceptionType: string, payload: Buffer): OpenAIError {
  const name = exceptionName(exceptionType);
  const status = TABLE[name]?.status ?? 502;
  return mapException(name, status, messageOf(asObject(payload)));
}
