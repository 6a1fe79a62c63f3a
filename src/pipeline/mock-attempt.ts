import type { Upstream } from "../config/types.js";
import type { MockProvider } from "../upstream/providers/mock.js";
import type { DialectSet } from "./ai/dialects.js";
import type { RequestContext, RequestResources } from "./types.js";
import { UpstreamAttempt } from "./upstream-attempt.js";
import { clientLeft } from "./request-facts.js";

/** The built-in mock: one attempt, answered in-process. */
export async function attemptMock(ctx: RequestContext, resources: RequestResources, def: Upstream, mock: MockProvider, dialects: DialectSet): Promise<"done"> {
  ctx.target = "mock";
  const attempt = new UpstreamAttempt(ctx, resources, def, null, null, 0);
  try {
    const dialect = dialects.for(ctx);
    const out = dialect.request(ctx, null);
    const body = out.body === null || Buffer.isBuffer(out.body) ? out.body : ctx.body;
    attempt.dispatch(out.headers);
    const response = await mock.handle({ method: out.method, path: out.path.split("?")[0]!, body, cancel: ctx.cancel });
    if (response.status >= 400) {
      await new Promise<void>((resolve, reject) => dialect.relayError(ctx, response, (err) => (err === undefined ? resolve() : reject(err))));
      attempt.end({ status: response.status, exchange: "error", targetOk: true });
    } else {
      const ok = await new Promise<boolean>((resolve, reject) => dialect.relaySuccess(ctx, response, (err, whole) => (err === undefined ? resolve(whole) : reject(err))));
      attempt.end({ status: response.status, exchange: ok ? "complete" : "cut", targetOk: true });
    }
  } finally {
    attempt.end({ status: 0, exchange: "cut", targetOk: true, errorType: clientLeft(ctx) ? "client_left" : "error" });
  }
  return "done";
}

