import type { StreamTranslator } from "../ai/types.js";
import { HttpError } from "../errors/http.js";
import { settleNow } from "../pipeline/metering.js";
import type { RequestContext } from "../pipeline/types.js";
import type { HeaderMap } from "../pipeline/headers.js";
import { sendError } from "../pipeline/respond.js";
import { addGatewayHeaders } from "../pipeline/gateway-headers.js";
import { sendJson } from "../pipeline/ai/respond.js";
import type { CompiledRoute } from "../compile/route.js";
import { errorBody } from "../errors/http.js";
import { Call, viewFor } from "./call.js";
import type { PluginCall, PluginInstance } from "./instance.js";
import type { RunShared } from "./route-plugins.js";
import type { PluginAnswer, PluginContext, RequestHookResult } from "./types.js";

export type { RoutePlugins, RunShared, RuntimeStep } from "./route-plugins.js";

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";

/**
 * One request's pass through its route's plugins: the steps entered so
 * far (their response and complete hooks run), the shared context, and the
 * response side that the relays call into (`respond`, the guards).
 */
export class PluginRun {
  readonly call: Call;
  /** How many of the route's steps this request has entered (their response and complete hooks run). */
  private entered = 0;
  private views: Map<PluginInstance, PluginContext> | null = null;
  /** Plugins whose hook failed on this request: their later hooks are skipped. */
  private failed: Set<PluginInstance> | null = null;
  private responded = false;

  constructor(
    readonly ctx: RequestContext,
    private readonly shared: RunShared,
  ) {
    this.call = new Call(ctx, shared);
    if (shared.hasCompleteHooks) ctx.res.once("close", () => void this.complete());
  }

  /** A hook failed: 500 `plugin_error`, counted and logged (an HttpError a built-in throws is its answer). */
  failure(plugin: PluginInstance, err: unknown): HttpError {
    if (!plugin.custom && HttpError.is(err)) return err;
    (this.failed ??= new Set()).add(plugin);
    this.shared.metrics.pluginErrors.inc({ plugin: plugin.name });
    this.shared.logger.error({ err, plugin: plugin.name, requestId: this.ctx.id }, "plugin hook failed");
    return new HttpError("plugin_error", `plugin ${plugin.name} failed`);
  }

  private contextFor(plugin: PluginInstance): PluginCall {
    if (!plugin.custom) return this.call;
    this.views ??= new Map();
    let view = this.views.get(plugin);
    if (view === undefined) {
      view = viewFor(this.call, this.shared.loggers.get(plugin) ?? this.shared.logger);
      this.views.set(plugin, view);
    }
    return view as PluginCall;
  }

  private invokeRequest(plugin: PluginInstance): RequestHookResult | Promise<RequestHookResult> {
    const hook = plugin.hooks.request!;
    let out: RequestHookResult | Promise<RequestHookResult>;
    try {
      out = hook(this.contextFor(plugin));
    } catch (err) {
      throw this.failure(plugin, err);
    }
    if (isThenable(out)) return Promise.resolve(out).then(undefined, (err: unknown) => Promise.reject(this.failure(plugin, err)));
    return out;
  }

  /**
   * The request hooks of the route's steps `i` to `end` (exclusive);
   * synchronous while the hooks are. Resolves with the first answer a hook
   * gives (the rest is skipped), or undefined; rejects with the HttpError to
   * answer with.
   */
  request(i: number, end: number): PluginAnswer | undefined | Promise<PluginAnswer | undefined> {
    const steps = this.shared.steps;
    for (; i < end; i++) {
      const step = steps[i]!;
      this.entered = i + 1;
      if (!step.concurrent) {
        const plugin = step.members[0]!;
        if (plugin.hooks.request === undefined) continue;
        const out = this.invokeRequest(plugin);
        if (isThenable(out)) {
          const next = i + 1;
          return Promise.resolve(out).then((answer) => (answer === null || answer === undefined ? this.request(next, end) : this.checked(plugin, answer)));
        }
        if (out !== null && out !== undefined) return this.checked(plugin, out);
        continue;
      }
      const next = i + 1;
      const runs = step.members.map((plugin) => {
        if (plugin.hooks.request === undefined) return Promise.resolve({ plugin, ok: true as const, value: undefined });
        try {
          return Promise.resolve(this.invokeRequest(plugin)).then(
            (value) => ({ plugin, ok: true as const, value }),
            (error: unknown) => ({ plugin, ok: false as const, error }),
          );
        } catch (error) {
          return Promise.resolve({ plugin, ok: false as const, error });
        }
      });
      // Every member finishes before the next step; then the first failure, else the first answer, in file order.
      return Promise.all(runs).then((results) => {
        for (const r of results) if (!r.ok) throw r.error;
        for (const r of results) if (r.ok && r.value !== null && r.value !== undefined) return this.checked(r.plugin, r.value);
        return this.request(next, end);
      });
    }
    return undefined;
  }

  private checked(plugin: PluginInstance, answer: PluginAnswer): PluginAnswer {
    if (typeof answer !== "object" || !Number.isInteger(answer.status) || answer.status < 100 || answer.status > 599) {
      throw this.failure(plugin, new Error(`request hook answered with an invalid status ${JSON.stringify((answer as { status?: unknown }).status)}`));
    }
    return answer;
  }

  /** After a phase's request hooks: a changed JSON body becomes the body the upstream gets. */
  commitBody(): void {
    if (!this.call.bodyChanged) return;
    this.call.bodyChanged = false;
    const ctx = this.ctx;
    if (ctx.json === null) return;
    ctx.body = Buffer.from(JSON.stringify(ctx.json));
    const model = ctx.json.model;
    if (typeof model === "string") ctx.model = model;
  }

  /**
   * The answer's head is about to be written: runs the response hooks of
   * the plugins entered so far, in order, over `headers` (synchronous hooks;
   * a promise one returns is not waited for). Returns the headers to send
   * (a hook may have replaced the object: removing headers makes a copy,
   * see `withoutHeaders`), or null when a hook failed: a 500 was sent
   * instead, and `upstreamBody` (if any) dropped.
   */
  respond(status: number, headers: HeaderMap, upstreamBody?: { destroy(): void }): HeaderMap | null {
    if (this.responded) return headers;
    this.responded = true;
    if (!this.shared.hasResponseHooks) return headers;
    const response = { status, headers };
    this.call.response = response;
    for (const plugin of this.shared.responders[this.entered]!) {
      if (this.failed?.has(plugin) === true) continue;
      try {
        const out: unknown = plugin.hooks.response!(this.contextFor(plugin));
        if (isThenable(out)) Promise.resolve(out).then(undefined, (err: unknown) => void this.failure(plugin, err));
      } catch (err) {
        const failed = this.failure(plugin, err);
        upstreamBody?.destroy();
        sendError(this.ctx, failed);
        return null;
      }
    }
    return response.headers;
  }

  /** Sends a hook's own answer (through the response hooks). */
  answer(answer: PluginAnswer): void {
    const ctx = this.ctx;
    const headers: HeaderMap = {};
    for (const [k, v] of Object.entries(answer.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    let body: Buffer | null = null;
    const b = answer.body;
    if (typeof b === "string") {
      body = Buffer.from(b);
      headers["content-type"] ??= "text/plain; charset=utf-8";
    } else if (b instanceof Uint8Array) {
      body = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      headers["content-type"] ??= "application/octet-stream";
    } else if (b !== undefined && b !== null) {
      body = Buffer.from(JSON.stringify(b));
      headers["content-type"] ??= "application/json";
    }
    if (body !== null) headers["content-length"] = String(body.length);
    addGatewayHeaders(ctx, headers);
    const out = this.respond(answer.status, headers);
    if (out === null) return;
    ctx.status = answer.status;
    ctx.res.writeHead(answer.status, out);
    ctx.res.end(body ?? undefined);
    if (body !== null) ctx.bytesOut += body.length;
  }

  /**
   * An error answer from a later stage (or a plugin): the response hooks
   * run over its headers; the error to answer with, or null when a hook
   * failed and answered already.
   */
  errorResponse(err: HttpError): HttpError | null {
    const headers = this.respond(err.status, { ...err.headers });
    if (headers === null) return null;
    if (!this.shared.hasResponseHooks) return err;
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) flat[k] = Array.isArray(v) ? v.join(", ") : v;
    return new HttpError(err.code, err.message, { headers: flat, type: err.type, cause: err.cause ?? (err.code === "internal_error" ? err : undefined) });
  }

  /** The guards (response-guard) of the plugins entered, in order. */
  private guards(): readonly PluginInstance[] {
    return this.shared.guards[this.entered]!;
  }

  /** A whole `chat.completion`: redacted in place (true when it changed), or the error to answer with. */
  guardCompletion(body: Record<string, unknown>): boolean | HttpError {
    let changed = false;
    for (const p of this.guards()) {
      const r = p.hooks.guard!.completion(body);
      if (HttpError.is(r)) {
        this.blocked(r.code);
        return r;
      }
      changed ||= r;
    }
    return changed;
  }

  /** A cached completion about to be replayed: redacted in place, or a thrown HttpError when a guard blocks it. */
  guardCached(body: Record<string, unknown>): void {
    const r = this.guardCompletion(body);
    if (HttpError.is(r)) throw r;
  }

  /** A stream translator whose output the guards scan. */
  guardStream(translator: StreamTranslator): StreamTranslator {
    let out = translator;
    for (const p of this.guards()) out = p.hooks.guard!.stream(out, () => this.blocked("response_blocked"));
    return out;
  }

  private blocked(code: string): void {
    this.ctx.errorCode = code;
    // Never cache an answer a guard stopped.
    this.ctx.cacheKey = null;
  }

  /** After the response: the complete hooks (errors are logged and counted only; the client has its answer). */
  private async complete(): Promise<void> {
    const call = this.call;
    call.response ??= { status: this.ctx.status, headers: {} };
    for (const step of this.shared.steps.slice(0, this.entered)) {
      const runs: Promise<void>[] = [];
      for (const plugin of step.members) {
        const hook = plugin.hooks.complete;
        if (hook === undefined || this.failed?.has(plugin) === true) continue;
        runs.push(
          (async () => {
            try {
              await hook(this.contextFor(plugin));
            } catch (err) {
              this.failure(plugin, err);
            }
          })(),
        );
      }
      if (runs.length > 0) await Promise.all(runs);
    }
  }
}

/**
 * A whole completion a guard blocked: its usage is still metered (the
 * upstream spent the tokens), and the client gets the guard's error in the
 * OpenAI shape instead. Resolves true: the upstream did its part.
 */
export async function sendBlocked(ctx: RequestContext, route: CompiledRoute, err: HttpError): Promise<boolean> {
  await settleNow(ctx, "complete");
  await sendJson(ctx, route, err.status, {}, Buffer.from(errorBody(err, true)));
  return true;
}
