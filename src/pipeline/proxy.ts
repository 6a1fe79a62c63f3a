import type { CompiledRoute } from "../compile/route.js";
import { HttpError } from "../errors/http.js";
import type { RequestResources, UpstreamRuntime } from "./types.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import { drainBody } from "../upstream/body.js";
import type { Target } from "../upstream/pool.js";
import { hasBody, readAiBody, readBody } from "./body.js";
import type { RequestContext } from "./types.js";
import { dropSet } from "./forward.js";
import { responseCopy } from "./respond-upstream.js";
import { dialectsFor, type DialectSet } from "./ai/dialects.js";
import type { Handler } from "./types.js";
import { chooseUpstream } from "./split.js";
import type { Upstream } from "../config/types.js";
import type { MockProvider } from "../upstream/providers/mock.js";
import type { UpstreamPool } from "../upstream/pool.js";
import { UpstreamAttempt } from "./upstream-attempt.js";

/** Bodies up to this size are buffered when a retry or fallback may need to send them again. */
const REPLAY_BUFFER_BYTES = 1024 * 1024;
/**
 * Bodies with a Content-Length up to this size are read before they are
 * forwarded (as nginx's `proxy_request_buffering` does with its in-memory
 * body buffer); larger or chunked bodies stream with backpressure. Streaming
 * a small body through undici keeps every request's objects alive across
 * young-generation GCs (measured: 1.8 MB survived per scavenge at 1,000
 * req/s, 8–10 ms pauses; 30 KB and about 1 ms buffered, the same in a bare
 * node:http + undici proxy), and a buffered body can be retried.
 */
const SMALL_BODY_BYTES = 64 * 1024;
const IDEMPOTENT: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

type FailureKind = "connect_error" | "timeout" | "reset" | "error";

function classify(err: unknown, ctx: RequestContext, upstream: string): { error: HttpError; kind: FailureKind } {
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

/**
 * The terminal stage: send the request to the route's upstream and stream
 * the answer back. On failure it retries (per the upstream's `retries`:
 * another target preferred, non-idempotent methods only on connect errors,
 * a first-byte timeout only for idempotent ones, never beyond the retry
 * budget (refused connections excepted: they reached no upstream), never
 * after anything was sent to the client), then tries the
 * route's `fallback` upstreams in order (on connect errors, timeouts,
 * resets, 5xx, a 429 from the upstream, or no target available).
 */
export function createProxy(route: CompiledRoute, resources: RequestResources): Handler {
  const drop = dropSet(route, resources);
  const copy = responseCopy(route, resources.plugins?.responseStrips(route, resources) ?? []);
  // How to talk to each upstream the route may use and when to retry it, built once per snapshot.
  const firsts = [route.upstream, ...(route.split ?? []).map((s) => s.upstream)];
  const plans = new Map<string, UpstreamPlan>();
  for (const name of [...firsts, ...route.fallback]) {
    if (name === null || plans.has(name)) continue;
    const def = resources.upstreams.get(name)!.definition;
    plans.set(name, { dialects: dialectsFor(route, resources, drop, def, copy), retryOn: new Set<string | number>(def.retries.on) });
  }
  // Per upstream a request can start at: the upstreams to try in order, and
  // the time all attempts together may take (0 means "no limit" at each
  // level; the tightest remaining one applies).
  // `mocked`: the chain has the built-in mock, which takes the body whole.
  const starts = new Map<string, { chain: readonly string[]; timeoutMs: number; mocked: boolean }>();
  for (const name of firsts) {
    if (name === null || starts.has(name)) continue;
    const limits = [route.timeoutMs ?? resources.requestTimeoutMs, resources.upstreams.get(name)!.definition.timeouts.requestMs].filter((ms) => ms > 0);
    const chain = [name, ...route.fallback];
    starts.set(name, { chain, timeoutMs: limits.length === 0 ? 0 : Math.min(...limits), mocked: chain.some((n) => resources.upstreams.get(n)!.mock !== null) });
  }
  // Connect errors are retried without buffering (the body is read only once
  // a target accepted the connection); a fallback, or retries on timeouts,
  // resets or statuses, may need to send a body that was already read.
  const mayReplay =
    route.fallback.length > 0 ||
    firsts.some((n) => {
      if (n === null) return false;
      const r = resources.upstreams.get(n)!.definition.retries;
      return r.attempts > 0 && r.on.some((c) => c !== "connect_error");
    });

  return async (ctx) => {
    const method = ctx.req.method ?? "GET";
    const { chain, timeoutMs, mocked } = starts.get(chooseUpstream(route, ctx, resources.random))!;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => ctx.cancel.abort(new HttpError("upstream_timeout", `the upstream did not finish within ${timeoutMs}ms`)), timeoutMs)
        : null;
    try {
      // A body that a fallback or a late retry may need is buffered (up to
      // 1 MiB), a small one always (SMALL_BODY_BYTES); otherwise it streams,
      // and a connect error can still be retried.
      // Every body on an AI route is read (bounded) for its model: routing, allow-lists and metering need it.
      if (route.ai && ctx.body === null) await readAiBody(ctx, resources.maxBodyBytes);
      if (ctx.body === null && hasBody(ctx.req) && (mocked || Number(ctx.req.headers["content-length"] ?? Infinity) <= (mayReplay ? REPLAY_BUFFER_BYTES : SMALL_BODY_BYTES))) {
        ctx.body = await readBody(ctx.req, resources.maxBodyBytes);
        ctx.bytesIn = ctx.body.length;
      }
      let failure: HttpError | null = null;
      for (let u = 0; u < chain.length; u++) {
        const name = chain[u]!;
        const runtime = resources.upstreams.get(name)!;
        ctx.upstream = name;
        if (u > 0) resources.logger.debug({ requestId: ctx.id, route: route.name, fallback: name }, "trying fallback upstream");
        const outcome = await attemptUpstream(ctx, resources, runtime, plans.get(name)!, method, u < chain.length - 1);
        if (outcome === "done") return;
        failure = outcome;
        if (ctx.cancel.aborted || !replayable(ctx)) break;
      }
      throw failure ?? new HttpError("upstream_error", "no upstream answered");
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  };
}

/** How a route talks to one upstream, and which failures it retries there. */
interface UpstreamPlan {
  readonly dialects: DialectSet;
  readonly retryOn: ReadonlySet<string | number>;
}

/** The client went away (the request was cancelled without a gateway reason such as a timeout). */
function clientLeft(ctx: RequestContext): boolean {
  return ctx.cancel.aborted && ctx.cancel.reason === undefined;
}

/** Whether the request body can be sent again (buffered, absent, or a stream nothing read yet). */
function replayable(ctx: RequestContext): boolean {
  return ctx.body !== null || !hasBody(ctx.req) || !ctx.req.readableDidRead;
}

/**
 * All attempts at one upstream. Returns "done" once a response was relayed,
 * or the error to fall back on (only when `canFallBack`; otherwise a failed
 * response is relayed as it is).
 */
async function attemptUpstream(
  ctx: RequestContext,
  resources: RequestResources,
  runtime: UpstreamRuntime,
  plan: UpstreamPlan,
  method: string,
  canFallBack: boolean,
): Promise<"done" | HttpError> {
  if (runtime.mock !== null) return attemptMock(ctx, resources, runtime.definition, runtime.mock, plan);
  const def = runtime.definition;
  const pool = runtime.pool!;
  // The targets already tried, made only when an attempt is retried.
  let tried: Set<Target> | undefined;
  pool.retryBudget.recordRequest();
  for (let n = 0; ; n++) {
    const target = pool.pick(tried);
    if (target === undefined) return new HttpError("no_healthy_target", `upstream ${def.name} has no target that can take traffic`);
    ctx.target = target.url;
    const attempt = new UpstreamAttempt(ctx, resources, def, pool, target, n);
    let outcome: AttemptOutcome;
    try {
      outcome = await attemptTarget(ctx, attempt, plan, def, pool, target, { method, retry: n < def.retries.attempts, canFallBack });
    } finally {
      // Whatever happened (a throw included), the attempt ends once.
      if (!attempt.done) attempt.end({ status: 0, exchange: "cut", targetOk: clientLeft(ctx), errorType: clientLeft(ctx) ? "client_left" : "error" });
    }
    if (outcome === "retry") {
      (tried ??= new Set<Target>()).add(target);
      continue;
    }
    return outcome;
  }
}

type AttemptOutcome = "done" | "retry" | HttpError;

/** One try at one target: send, then relay the answer, retry, or hand back the error to fall back on. */
async function attemptTarget(
  ctx: RequestContext,
  attempt: UpstreamAttempt,
  plan: UpstreamPlan,
  def: Upstream,
  pool: UpstreamPool,
  target: Target,
  may: { method: string; retry: boolean; canFallBack: boolean },
): Promise<AttemptOutcome> {
  const dialect = plan.dialects.for(ctx);
  const out = dialect.request(ctx, target);
  attempt.dispatch(out.headers);
  let response: UpstreamResponse;
  try {
    response = await pool.send(target, out, ctx.cancel);
  } catch (err) {
    const { error, kind } = classify(err, ctx, def.name);
    // A refused connection sent nothing; anything else may have reached the upstream (it was cut).
    attempt.end({ status: 0, exchange: kind === "connect_error" ? "unreached" : "cut", targetOk: clientLeft(ctx), errorType: kind });
    if (ctx.cancel.aborted || error.code === "payload_too_large") throw error;
    const allowed = plan.retryOn.has(kind) && (kind === "connect_error" || (IDEMPOTENT.has(may.method) && kind !== "error"));
    // A refused connection never reached an upstream: retrying it on another
    // target adds no load, so it does not spend the retry budget.
    return may.retry && allowed && replayable(ctx) && (kind === "connect_error" || pool.retryBudget.tryRetry()) ? "retry" : error;
  }
  const failed = response.status >= 500;
  if (failed || response.status === 429) {
    const retry = may.retry && plan.retryOn.has(response.status) && IDEMPOTENT.has(may.method) && replayable(ctx) && pool.retryBudget.tryRetry();
    if (retry || (may.canFallBack && replayable(ctx))) {
      drainBody(response.body);
      attempt.end({ status: response.status, exchange: "error", targetOk: !failed });
      return retry ? "retry" : new HttpError("upstream_error", `upstream ${def.name} answered ${response.status}`);
    }
  }
  try {
    if (response.status >= 400) {
      await dialect.relayError(ctx, response);
      attempt.end({ status: response.status, exchange: "error", targetOk: !failed });
    } else {
      const ok = await dialect.relaySuccess(ctx, response);
      attempt.end(ok ? { status: response.status, exchange: "complete", targetOk: true } : { status: response.status, exchange: "cut", targetOk: false, errorType: "stream_failed" });
    }
  } catch (err) {
    // A client that left is not the target's failure; a body cut upstream is.
    const left = clientLeft(ctx);
    attempt.end({ status: response.status, exchange: "cut", targetOk: left, errorType: left ? "client_left" : "body_failed" });
    // A body cut upstream is the upstream's failure, in the documented shape (never an internal error).
    throw left || HttpError.is(err) ? err : classify(err, ctx, def.name).error;
  }
  return "done";
}

/** The built-in mock: one attempt, answered in-process. */
async function attemptMock(ctx: RequestContext, resources: RequestResources, def: Upstream, mock: MockProvider, plan: UpstreamPlan): Promise<"done"> {
  ctx.target = "mock";
  const attempt = new UpstreamAttempt(ctx, resources, def, null, null, 0);
  try {
    const dialect = plan.dialects.for(ctx);
    const out = dialect.request(ctx, null);
    const body = out.body === null || Buffer.isBuffer(out.body) ? out.body : ctx.body;
    attempt.dispatch(out.headers);
    const response = await mock.handle({ method: out.method, path: out.path.split("?")[0]!, body, cancel: ctx.cancel });
    if (response.status >= 400) {
      await dialect.relayError(ctx, response);
      attempt.end({ status: response.status, exchange: "error", targetOk: true });
    } else {
      const ok = await dialect.relaySuccess(ctx, response);
      attempt.end({ status: response.status, exchange: ok ? "complete" : "cut", targetOk: true });
    }
  } finally {
    attempt.end({ status: 0, exchange: "cut", targetOk: true, errorType: clientLeft(ctx) ? "client_left" : "error" });
  }
  return "done";
}
