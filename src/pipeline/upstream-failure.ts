import { HttpError } from "../errors/http.js";
import type { RequestContext } from "./types.js";

export type FailureKind = "connect_error" | "timeout" | "reset" | "error";

/** An upstream exchange's failure as the client's error, and its kind (what retries, metrics and breakers count). */
export function classify(err: unknown, ctx: RequestContext, upstream: string): { error: HttpError; kind: FailureKind } {
  const reason = ctx.cancel.reason;
  if (ctx.cancel.aborted && HttpError.is(reason)) return { error: reason, kind: "timeout" };
  if (HttpError.is(err)) return { error: err, kind: "error" };
  const code = (err as { code?: string } | null)?.code ?? "";
  switch (code) {
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EAI_AGAIN":
    case "UND_ERR_CONNECT_TIMEOUT":
      return { error: new HttpError("upstream_connect_error", `could not connect to upstream ${upstream} (${code})`, { cause: err }), kind: "connect_error" };
    case "UND_ERR_HEADERS_TIMEOUT":
      return { error: new HttpError("upstream_timeout", `upstream ${upstream} did not answer in time`, { cause: err }), kind: "timeout" };
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
    case "UND_ERR_DESTROYED":
      return { error: new HttpError("upstream_reset", `upstream ${upstream} closed the connection`, { cause: err }), kind: "reset" };
    default:
      return { error: new HttpError("upstream_error", `upstream ${upstream} failed`, { cause: err }), kind: "error" };
  }
}

