import type { IncomingMessage, ServerResponse } from "node:http";
import type { Generation } from "../reload/generation.js";
import type { AssembledRoute } from "./route-handler.js";
import type { Cancel } from "./cancel.js";
import type { Identity } from "../compile/identity.js";
import type { Consumer } from "../config/types.js";
import type { Usage } from "../usage/extract.js";
import type { PluginRun } from "../plugins/run.js";
import type { RequestTrace } from "../observability/tracing.js";
import type { Meter } from "./metering.js";

/**
 * Everything one request carries through the stages. Allocated once per
 * request; stages read and fill it.
 */
export interface RequestContext {
  readonly id: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Monotonic ms at arrival. */
  readonly startedAt: number;
  /** The generation current when the request arrived; kept to its end. */
  readonly generation: Generation;
  readonly clientIp: string;
  readonly scheme: "http" | "https";
  /** Normalised path, no query. */
  path: string;
  /** `?…` or "". */
  query: string;
  /** Normalised host. */
  host: string;
  route: AssembledRoute | null;
  /** Answer errors in the OpenAI shape (an AI route, or a path only AI routes serve). */
  aiShape: boolean;
  /** The body, when it was read (AI routes); otherwise it streams. */
  body: Buffer | null;
  json: Record<string, unknown> | null;
  model: string | undefined;
  /** Who the caller is, once an auth provider accepted them. */
  identity: Identity | null;
  /** The declared consumer of the identity (or the provider's defaultConsumer). */
  consumer: Consumer | null;
  upstream: string | null;
  target: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  errorCode: string | null;
  /** Headers stages add to the response (rate-limit state), whatever the upstream answers. */
  extraHeaders: Record<string, string> | null;
  /** Token metering (AI routes, token limits): every upstream exchange is charged, and the request settled once. */
  meter: Meter | null;
  /** The tokens the request was charged, once settled (every exchange that reached an upstream). */
  usage: Usage | null;
  /** The model the upstream says it used (priced when the requested one is not). */
  responseModel: string | undefined;
  /** What the request cost, once metered (USD). */
  costUsd: number | null;
  /** AI routes: whether the answer came from the cache. */
  cache: "hit" | "miss" | null;
  /** AI routes with a cache: where to store a cacheable answer. */
  cacheKey: string | null;
  /** Routes with plugins: the request's pass through them (response hooks and guards run from the relays). */
  plugins: PluginRun | null;
  /** The request's server span, when tracing is on. */
  trace: RequestTrace | null;
  /** Time spent in upstream attempts (ms), for the access log. */
  upstreamMs: number;
  /** Aborted when the client leaves or a timeout fires; cancels the upstream request. */
  readonly cancel: Cancel;
}
