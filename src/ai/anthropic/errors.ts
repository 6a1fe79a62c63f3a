import type { OpenAIError } from "../types.js";
import { isObject, str } from "./util.js";

/**
 * Anthropic errors → OpenAI's error shape (MAPPING.md table 1.9). The
 * Anthropic `error.type` decides; the HTTP status is the fallback when the
 * body is not Anthropic's JSON (a proxy's HTML page, a cut body).
 */
interface Mapped {
  status: number;
  type: string;
  code: string | null;
}

const BY_TYPE: Record<string, Mapped> = {
  invalid_request_error: { status: 400, type: "invalid_request_error", code: null },
  authentication_error: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  // OpenAI reports billing and quota problems as 429 insufficient_quota.
  billing_error: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
  permission_error: { status: 403, type: "permission_error", code: null },
  not_found_error: { status: 404, type: "invalid_request_error", code: null },
  conflict_error: { status: 409, type: "invalid_request_error", code: null },
  request_too_large: { status: 413, type: "invalid_request_error", code: "request_too_large" },
  rate_limit_error: { status: 429, type: "requests", code: "rate_limit_exceeded" },
  api_error: { status: 500, type: "server_error", code: null },
  timeout_error: { status: 504, type: "timeout_error", code: null },
  // 529 has no OpenAI counterpart: OpenAI's own overload answer is 503.
  overloaded_error: { status: 503, type: "service_unavailable_error", code: "server_is_overloaded" },
};

const BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

function mapped(anthropicType: string | undefined, status: number | undefined): Mapped {
  const byType = anthropicType === undefined ? undefined : BY_TYPE[anthropicType];
  if (byType !== undefined) return byType;
  const fromStatus = status === undefined ? undefined : BY_STATUS[status];
  if (fromStatus !== undefined) return BY_TYPE[fromStatus]!;
  if (status !== undefined && status >= 400 && status < 500) return { status, type: "invalid_request_error", code: null };
  if (status !== undefined && status >= 500 && status < 600) return { status, type: "server_error", code: null };
  return { status: 502, type: "server_error", code: null };
}

/** Refines the code from the message where OpenAI has a specific one. */
function refine(m: Mapped, message: string): Mapped {
  if (m.status === 400 && /prompt is too long|context window|context length/i.test(message)) {
    return { ...m, code: "context_length_exceeded" };
  }
  if (m.status === 404 && /^model:/i.test(message)) return { ...m, code: "model_not_found" };
  if (m.code === "rate_limit_exceeded" && /tokens? per/i.test(message)) return { ...m, type: "tokens" };
  return m;
}

function parseBody(body: unknown): unknown {
  if (Buffer.isBuffer(body)) body = body.toString("utf8");
  if (typeof body !== "string") return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The `error` object of an Anthropic error body (`{type:"error", error:{type, message}}`), if it is one. */
function anthropicErrorOf(body: unknown): { type: string | undefined; message: string | undefined } {
  const parsed = parseBody(body);
  if (!isObject(parsed)) return { type: undefined, message: undefined };
  const err = isObject(parsed.error) ? parsed.error : parsed;
  return { type: str(err.type), message: str(err.message) };
}

/** An HTTP error response from Anthropic → status and OpenAI error body. */
export function anthropicError(status: number, body: unknown): OpenAIError {
  const { type, message } = anthropicErrorOf(body);
  const text = message ?? `the Anthropic upstream answered HTTP ${status}`;
  const m = refine(mapped(type, status), text);
  return { status: m.status, body: { error: { message: text, type: m.type, param: null, code: m.code } } };
}

/** The payload of an in-stream `event: error` → the OpenAI in-band error object. */
export function streamError(data: unknown): OpenAIError["body"] {
  const { type, message } = anthropicErrorOf(data);
  const text = message ?? "the Anthropic upstream reported an error mid-stream";
  const m = refine(mapped(type ?? "api_error", undefined), text);
  return { error: { message: text, type: m.type, param: null, code: m.code } };
}
