/**
 * The plugin interface (DESIGN.md 11), exported from the package:
 * `import type { Plugin } from "aigw"`. A custom plugin is an ES module
 * whose default export is a `Plugin`; the config names it with
 * `module: ./plugins/x.mjs` (relative to the config file).
 */

/** A JSON Schema (draft 2020-12) object: what `Plugin.schema` holds. */
export type JsonSchema = { readonly [keyword: string]: unknown } | boolean;

/** Request or response headers: lower-case names. */
export type PluginHeaders = Record<string, string | string[] | undefined>;

/** Logs of a plugin: JSON lines in the gateway's log, with the plugin's name and the request id. */
export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Token usage reported by an AI upstream. */
export interface PluginUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The answer, as the client will see it (`response` hook: headers may be changed). */
export interface PluginResponse {
  readonly status: number;
  /** The answer's headers: edit them, or replace the object (what the hooks leave here is sent). */
  headers: Record<string, string | string[]>;
}

/**
 * What a hook sees of one request. One object per request, shared by the
 * plugins of its route.
 */
export interface PluginContext {
  /** `x-request-id` (the client's, or one the gateway made). */
  readonly requestId: string;
  readonly method: string;
  /** The normalised path, without the query. */
  readonly path: string;
  /** `?…` or "". */
  readonly query: string;
  /** The client's address, per `server.trustProxy`. */
  readonly clientIp: string;
  /** The route's name. */
  readonly route: string;
  /** The consumer's name (or, without a declared consumer, the authenticated subject); null on public routes and before auth. */
  readonly consumer: string | null;
  /** The model the request names (AI routes). */
  readonly model: string | undefined;
  /**
   * The request headers. In `request`, changes are what the upstream
   * receives (except the headers the gateway owns: host, `x-forwarded-*`,
   * `x-request-id`, credentials).
   */
  readonly headers: PluginHeaders;
  /**
   * AI routes: the JSON body, parsed. In `request`, change it or assign a
   * new object: the upstream receives it. Null on other routes (their
   * bodies stream) and when the body is not a JSON object.
   */
  body: Record<string, unknown> | null;
  /** The answer: null in `request`, set in `response` (headers mutable) and `complete`. */
  readonly response: PluginResponse | null;
  /** `complete`: the upstream's token usage (AI routes), when reported. */
  readonly usage: PluginUsage | null;
  /** `complete`: what the request cost in USD (AI routes with pricing). */
  readonly costUsd: number | null;
  readonly log: PluginLogger;
}

/** An answer a `request` hook gives instead of the upstream's. */
export interface PluginAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  /** A string (text/plain), bytes (application/octet-stream) or any other value (sent as JSON). */
  body?: string | Uint8Array | Record<string, unknown> | unknown[];
}

/** What a `request` hook returns: nothing to let the request go on, or an answer. */
export type RequestHookResult = PluginAnswer | void | undefined | null;

/**
 * The hooks of one plugin instance. Any of them may be async; a hook that
 * throws (or rejects) answers 500 in the route's error shape and counts
 * `aigw_plugin_errors_total{plugin}`.
 */
export interface PluginHooks {
  /** Before the upstream: read or change the request, or answer it. */
  request?(ctx: PluginContext): RequestHookResult | Promise<RequestHookResult>;
  /**
   * The answer's status and headers are known and not yet sent: change
   * `ctx.response.headers`. Synchronous (the head is being written): a
   * promise it returns is not waited for.
   */
  response?(ctx: PluginContext): void;
  /** The answer was sent (usage and cost known): log, meter, notify. Errors here are logged and counted only. */
  complete?(ctx: PluginContext): void | Promise<void>;
}

/** What `create` receives besides the config. */
export interface PluginEnvironment {
  /** The name the config gives the plugin entry. */
  readonly name: string;
  /** Folder of the config file (for files the plugin's config names). */
  readonly baseDir: string;
  readonly log: PluginLogger;
}

/**
 * A plugin module's default export. `schema` is the JSON Schema of the
 * entry's `config` (checked by `aigw validate` and before a config is
 * served; defaults it declares are filled in). `create` runs once per
 * loaded config and entry.
 */
export interface Plugin<Config = Record<string, unknown>> {
  readonly name: string;
  readonly schema?: JsonSchema;
  create(config: Config, env: PluginEnvironment): PluginHooks | Promise<PluginHooks>;
}
