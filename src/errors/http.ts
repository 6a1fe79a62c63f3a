/**
 * Errors the data plane answers with. Each has a stable code, a status and
 * the OpenAI error `type` used on AI routes. Other routes answer
 * `{"error":{"code","message"}}`; AI routes `{"error":{"message","type","param","code"}}`.
 */
export const HttpErrors = {
  invalid_path: { status: 400, type: "invalid_request_error" },
  invalid_body: { status: 400, type: "invalid_request_error" },
  unsupported_operation: { status: 400, type: "invalid_request_error" },
  route_not_found: { status: 404, type: "invalid_request_error" },
  model_not_found: { status: 404, type: "invalid_request_error" },
  payload_too_large: { status: 413, type: "invalid_request_error" },
  missing_credentials: { status: 401, type: "invalid_request_error" },
  invalid_credentials: { status: 401, type: "invalid_request_error" },
  insufficient_scope: { status: 403, type: "permission_error" },
  model_not_allowed: { status: 403, type: "permission_error" },
  auth_unavailable: { status: 503, type: "service_unavailable_error" },
  rate_limit_exceeded: { status: 429, type: "requests" },
  insufficient_quota: { status: 429, type: "insufficient_quota" },
  usage_unavailable: { status: 503, type: "service_unavailable_error" },
  rate_limit_unavailable: { status: 503, type: "service_unavailable_error" },
  upstream_connect_error: { status: 502, type: "server_error" },
  upstream_reset: { status: 502, type: "server_error" },
  upstream_error: { status: 502, type: "server_error" },
  no_healthy_target: { status: 503, type: "service_unavailable_error" },
  shutting_down: { status: 503, type: "service_unavailable_error" },
  upstream_timeout: { status: 504, type: "timeout_error" },
  internal_error: { status: 500, type: "server_error" },
  // Plugins (DESIGN.md 11).
  missing_header: { status: 400, type: "invalid_request_error" },
  schema_validation_failed: { status: 400, type: "invalid_request_error" },
  prompt_blocked: { status: 400, type: "invalid_request_error" },
  response_blocked: { status: 400, type: "invalid_request_error" },
  max_tokens_exceeded: { status: 400, type: "invalid_request_error" },
  ip_denied: { status: 403, type: "permission_error" },
  cors_rejected: { status: 403, type: "permission_error" },
  plugin_error: { status: 500, type: "server_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type HttpErrorCode = keyof typeof HttpErrors;

const brand = Symbol.for("aigw.http-error");

/** A failure that becomes an HTTP error response (thrown by stages, caught once). */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The OpenAI error `type` when it depends on the case (429: `requests` or `tokens`). */
  readonly type: string;
  readonly [brand] = true;

  constructor(code: HttpErrorCode, message: string, options: { headers?: Record<string, string>; cause?: unknown; type?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    this.code = code;
    this.status = HttpErrors[code].status;
    this.headers = options.headers;
    this.type = options.type ?? HttpErrors[code].type;
  }

  static is(value: unknown): value is HttpError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** The JSON body of an error response, in the shape of the route kind. */
export function errorBody(err: Pick<HttpError, "code" | "message" | "type">, aiShape: boolean): string {
  if (aiShape) return JSON.stringify({ error: { message: err.message, type: err.type, param: null, code: err.code } });
  return JSON.stringify({ error: { code: err.code, message: err.message } });
}
