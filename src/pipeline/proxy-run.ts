import type { CompiledRoute } from "../compile/route.js";
import { HttpError } from "../errors/http.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import { drainBody } from "../upstream/body.js";
import type { ExchangeListener } from "../upstream/dispatch.js";
import type { Target } from "../upstream/pool.js";
import type { DialectSet } from "./ai/dialects.js";
import { hasBody, readAiBodyThen, readBodyThen } from "./body.js";
import type { Dialect } from "./dialect.js";
import { attemptMock } from "./mock-attempt.js";
import { clientLeft, replayable } from "./request-facts.js";
import type { Done, RequestContext, RequestResources, UpstreamRuntime } from "./types.js";
import { UpstreamAttempt } from "./upstream-attempt.js";
import { classify } from "./upstream-failure.js";
import { toHttpError } from "./respond.js";

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

/** What a route's proxy worked out once per snapshot. */
export interface ProxyPlan {
  readonly route: CompiledRoute;
  readonly resources: RequestResources;
  /** How to talk to each upstream the route may use and when to retry it. */
  readonly plans: ReadonlyMap<string, UpstreamPlan>;
  /** A fallback, or retries on timeouts, resets or statuses, may need to send a body that was already read. */
  readonly mayReplay: boolean;
}

/**
 * Per upstream a request can start at: the upstreams to try in order, and
 * the time all attempts together may take (0 means "no limit"); `mocked`:
 * the chain has the built-in mock, which takes the body whole.
 */
export interface ChainStart {
  readonly chain: readonly string[];
  readonly timeoutMs: number;
  readonly mocked: boolean;
}

/** How a route talks to one upstream, and which failures it retries there. */
export interface UpstreamPlan {
  readonly dialects: DialectSet;
  readonly retryOn: ReadonlySet<string | number>;
}

/**
 * One request through the proxy, driven by callbacks (no promise, no
 * async frame): read the body when it is to be buffered, then each
 * upstream of the chain in turn, each with its attempts at its targets,
 * until one answer is relayed or nothing is left to try. Every attempt is
 * ended exactly once, whichever way it goes; `done` is called once.
 * Callbacks from below (the body, the upstream's head, a relay's end)
 * never throw back: a failure in one ends the request.
 */
export class ProxyRun implements ExchangeListener {
  private readonly method: string;
  private timer: NodeJS.Timeout | null = null;
  /** Which upstream of the chain is being tried, and its attempt count. */
  private u = 0;
  private n = 0;
  private runtime: UpstreamRuntime | null = null;
  private plan: UpstreamPlan | null = null;
  /** The targets already tried, made only when an attempt is retried. */
  private tried: Set<Target> | undefined = undefined;
  private target: Target | null = null;
  private attempt: UpstreamAttempt | null = null;
  private dialect: Dialect | null = null;
  private status = 0;
  /** The answer being relayed: its body is released if the relay fails. */
  private response: UpstreamResponse | null = null;
  private over = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly proxy: ProxyPlan,
    private readonly chain: ChainStart,
    private readonly done: Done,
  ) {
    this.method = ctx.req.method ?? "GET";
  }

  start(): void {
    const { ctx, chain } = this;
    const { route, resources } = this.proxy;
    const timeoutMs = chain.timeoutMs;
    if (timeoutMs > 0) this.timer = setTimeout(() => ctx.cancel.abort(new HttpError("upstream_timeout", `the upstream did not finish within ${timeoutMs}ms`)), timeoutMs);
    try {
      // Every body on an AI route is read (bounded) for its model: routing, allow-lists and metering need it.
      if (route.ai && ctx.body === null) {
        readAiBodyThen(ctx, resources.maxBodyBytes, (err) => {
          if (err === undefined) this.step(this.readBody);
          else this.finish(err);
        });
        return;
      }
      this.readBody();
    } catch (err) {
      this.finish(err);
    }
  }

  /**
   * A body that a fallback or a late retry may need is buffered (up to
   * 1 MiB), a small one always (SMALL_BODY_BYTES); otherwise it streams,
   * and a connect error can still be retried.
   */
  private readBody(): void {
    const { ctx } = this;
    const { resources, mayReplay } = this.proxy;
    if (this.over) return;
    if (ctx.body === null && hasBody(ctx.req) && (this.chain.mocked || Number(ctx.req.headers["content-length"] ?? Infinity) <= (mayReplay ? REPLAY_BUFFER_BYTES : SMALL_BODY_BYTES))) {
      readBodyThen(ctx.req, resources.maxBodyBytes, (err, body) => {
        if (body === null) {
          this.finish(err);
          return;
        }
        ctx.body = body;
        ctx.bytesIn = body.length;
        this.tryUpstream();
      });
      return;
    }
    this.tryUpstream();
  }

  /** Runs one step; a throw in it ends the request (a callback never throws back into undici or a stream). */
  private step(run: (this: ProxyRun) => void): void {
    try {
      run.call(this);
    } catch (err) {
      this.finish(err);
    }
  }

  /** The chain's upstream at `u`: the mock answers in-process, a pool gets attempts at its targets. */
  private tryUpstream(): void {
    this.step(this.startUpstream);
  }

  private startUpstream(): void {
    const { ctx } = this;
    const { route, resources, plans } = this.proxy;
    const name = this.chain.chain[this.u]!;
    const runtime = (this.runtime = resources.upstreams.get(name)!);
    const plan = (this.plan = plans.get(name)!);
    ctx.upstream = name;
    if (this.u > 0) resources.logger.debug({ requestId: ctx.id, route: route.name, fallback: name }, "trying fallback upstream");
    if (runtime.mock !== null) {
      attemptMock(ctx, resources, runtime.definition, runtime.mock, plan.dialects).then(
        () => this.finish(),
        (err: unknown) => this.finish(err),
      );
      return;
    }
    runtime.pool!.retryBudget.recordRequest();
    this.tried = undefined;
    this.n = 0;
    this.tryTarget();
  }

  /** The upstream failed in a way a fallback may take over: the next one, if any is left and the body can be sent again. */
  private upstreamFailed(error: HttpError): void {
    if (this.ctx.cancel.aborted || !replayable(this.ctx) || this.u + 1 >= this.chain.chain.length) {
      this.finish(error);
      return;
    }
    this.u++;
    this.tryUpstream();
  }

  /** One try at one target of the current upstream. */
  private tryTarget(): void {
    this.step(this.sendToTarget);
  }

  private sendToTarget(): void {
    const { ctx } = this;
    const { resources } = this.proxy;
    const runtime = this.runtime!;
    const def = runtime.definition;
    const pool = runtime.pool!;
    const target = pool.pick(this.tried);
    if (target === undefined) {
      this.upstreamFailed(new HttpError("no_healthy_target", `upstream ${def.name} has no target that can take traffic`));
      return;
    }
    ctx.target = target.url;
    this.target = target;
    const attempt = (this.attempt = new UpstreamAttempt(ctx, resources, def, pool, target, this.n));
    const dialect = (this.dialect = this.plan!.dialects.for(ctx));
    const out = dialect.request(ctx, target);
    attempt.dispatch(out.headers);
    try {
      pool.exchange(target, out, ctx.cancel, this);
    } catch (err) {
      this.onUpstreamError(err as Error);
    }
  }

  private retry(): void {
    (this.tried ??= new Set<Target>()).add(this.target!);
    this.n++;
    this.tryTarget();
  }

  /** The attempt may be retried (the upstream's `retries.attempts`). */
  private get mayRetry(): boolean {
    return this.n < this.runtime!.definition.retries.attempts;
  }

  /** No answer came: retry, fall back, or fail. */
  onUpstreamError(err: Error): void {
    try {
      this.noAnswer(err);
    } catch (failure) {
      this.finish(failure);
    }
  }

  private noAnswer(err: Error): void {
    const { ctx } = this;
    const def = this.runtime!.definition;
    const { error, kind } = classify(err, ctx, def.name);
    // A refused connection sent nothing; anything else may have reached the upstream (it was cut).
    this.attempt!.end({ status: 0, exchange: kind === "connect_error" ? "unreached" : "cut", targetOk: clientLeft(ctx), errorType: kind });
    if (ctx.cancel.aborted || error.code === "payload_too_large") {
      this.finish(error);
      return;
    }
    const allowed = this.plan!.retryOn.has(kind) && (kind === "connect_error" || (IDEMPOTENT.has(this.method) && kind !== "error"));
    // A refused connection never reached an upstream: retrying it on another
    // target adds no load, so it does not spend the retry budget.
    if (this.mayRetry && allowed && replayable(ctx) && (kind === "connect_error" || this.runtime!.pool!.retryBudget.tryRetry())) this.retry();
    else this.upstreamFailed(error);
  }

  /** An answer came: retry or fall back on a failed one while nothing was sent to the client, else relay it. */
  onUpstreamHead(response: UpstreamResponse): void {
    const { ctx } = this;
    const status = (this.status = response.status);
    const failed = status >= 500;
    const attempt = this.attempt!;
    try {
      if (failed || status === 429) {
        const retry = this.mayRetry && this.plan!.retryOn.has(status) && IDEMPOTENT.has(this.method) && replayable(ctx) && this.runtime!.pool!.retryBudget.tryRetry();
        if (retry || (this.u + 1 < this.chain.chain.length && replayable(ctx))) {
          drainBody(response.body);
          attempt.end({ status, exchange: "error", targetOk: !failed });
          if (retry) this.retry();
          else this.upstreamFailed(new HttpError("upstream_error", `upstream ${this.runtime!.definition.name} answered ${status}`));
          return;
        }
      }
      this.response = response;
      if (status >= 400) this.dialect!.relayError(ctx, response, (err) => this.relayed(err, true));
      else this.dialect!.relaySuccess(ctx, response, (err, whole) => this.relayed(err, whole));
    } catch (err) {
      // Thrown on the gateway's side before the answer went out (a response
      // hook's header that Node refuses to send): the target did its job, the
      // request fails as the gateway's. Nothing relays the body: release it.
      response.body.destroy();
      this.relayed(toHttpError(err), false);
    }
  }

  /** The answer's relay ended: the attempt ends with it. */
  private relayed(err: unknown, whole: boolean): void {
    try {
      this.endRelayed(err, whole);
    } catch (failure) {
      this.finish(failure);
    }
  }

  private endRelayed(err: unknown, whole: boolean): void {
    const { ctx, status } = this;
    const attempt = this.attempt!;
    if (err === undefined) {
      if (status >= 400) attempt.end({ status, exchange: "error", targetOk: status < 500 });
      else attempt.end(whole ? { status, exchange: "complete", targetOk: true } : { status, exchange: "cut", targetOk: false, errorType: "stream_failed" });
      this.finish();
      return;
    }
    // A relay that failed before it read the whole body (a hook threw before
    // the stream started) leaves it held: release it (a no-op once it ended).
    this.response?.body.destroy();
    // A client that left is not the target's failure, nor is one on the
    // gateway's side (an internal_error); a body cut upstream is.
    const left = clientLeft(ctx);
    const ours = HttpError.is(err) && err.code === "internal_error";
    attempt.end({ status, exchange: "cut", targetOk: left || ours, errorType: left ? "client_left" : ours ? "error" : "body_failed" });
    // A body cut upstream is the upstream's failure, in the documented shape (never an internal error).
    this.finish(left || HttpError.is(err) ? err : classify(err, ctx, this.runtime!.definition.name).error);
  }

  /** The request's end through the proxy, once: an attempt still open is ended as cut. */
  private finish(err?: unknown): void {
    if (this.over) return;
    this.over = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const attempt = this.attempt;
    if (attempt !== null && !attempt.done) {
      const left = clientLeft(this.ctx);
      try {
        attempt.end({ status: 0, exchange: "cut", targetOk: left, errorType: left ? "client_left" : "error" });
      } catch (failure) {
        err ??= failure;
      }
    }
    this.done(err);
  }
}

