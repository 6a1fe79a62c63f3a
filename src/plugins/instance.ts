import type { Logger } from "pino";
import type { StreamTranslator } from "../ai/types.js";
import type { HttpError } from "../errors/http.js";
import type { RequestContext } from "../pipeline/types.js";
import type { PluginContext, PluginHooks, RequestHookResult } from "./types.js";

/** What built-in hooks get: the public context plus the request's own. */
export interface PluginCall extends PluginContext {
  readonly ctx: RequestContext;
  /** The JSON body (`ctx.json`) was changed: the upstream must get the new one. */
  markBodyChanged(): void;
}

/**
 * Guards over AI answers (response-guard): whole completions and streams.
 * Both see OpenAI-shaped completions (translated providers included).
 */
export interface CompletionGuard {
  /** Redacts a `chat.completion` in place; returns whether it changed, or the error to answer with instead. */
  completion(body: Record<string, unknown>): boolean | HttpError;
  /** Wraps a stream translator: its output is scanned across chunk boundaries; `onBlock` is told when it blocks. */
  stream(inner: StreamTranslator, onBlock: (kind: string) => void): StreamTranslator;
}

/** The hooks of a built-in or custom plugin, as the runner calls them. */
export interface InternalHooks {
  request?(call: PluginCall): RequestHookResult | Promise<RequestHookResult>;
  /** Synchronous: the answer's head is about to be written. */
  response?(call: PluginCall): void;
  complete?(call: PluginCall): void | Promise<void>;
  guard?: CompletionGuard;
  /** Response header names the response hook always removes (lower case): see `responseCopy`. */
  strips?: readonly string[];
  /** The only response header names the response hook reads (lower case); unset: it may read any. */
  reads?: readonly string[];
}

/** One configured plugin of one loaded config: an entry of `gateway.plugins` or of a route's `plugins`. */
export interface PluginInstance {
  /** The entry's name (the `plugin` label of `aigw_plugin_errors_total`). */
  readonly name: string;
  /** A custom module (hooks get a per-plugin view of the context, and errors are plugin errors). */
  readonly custom: boolean;
  /** The hooks read the JSON body on AI routes: it is read before they run. */
  readonly needsBody: boolean;
  readonly hooks: InternalHooks;
}

export interface BuiltinEnvironment {
  readonly baseDir: string;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly readFile: (path: string) => Promise<string>;
}

/** A built-in plugin: its config was checked by the gateway schema. */
export interface BuiltinPlugin {
  readonly name: string;
  readonly needsBody: boolean;
  create(config: Record<string, unknown>, env: BuiltinEnvironment): InternalHooks | Promise<InternalHooks>;
}

/** Custom hooks in the runner's terms (the context they get is the public one). */
export function customHooks(hooks: PluginHooks): InternalHooks {
  const out: InternalHooks = {};
  if (typeof hooks.request === "function") out.request = hooks.request.bind(hooks);
  if (typeof hooks.response === "function") out.response = hooks.response.bind(hooks) as (call: PluginCall) => void;
  if (typeof hooks.complete === "function") out.complete = hooks.complete.bind(hooks);
  return out;
}
