import type { UpstreamStatus } from "../server/admin.js";

/**
 * The IPC protocol of `aigw serve --workers N` (node:cluster, JSON
 * serialisation). The primary owns the config: it validates and builds each
 * new config, then sends every worker the exact text it built, which each
 * worker builds again and applies on its own. Every request that expects an
 * answer carries an `id`; the answer carries the same `id`.
 */

/** A config the primary accepted: the text as read, where it came from, and the hash it built to. */
/** The environment variable a worker reads its `--allow-plugin-path` folders from (a JSON array), set by the primary at fork. */
export const ALLOW_PLUGIN_PATHS_ENV = "AIGW_ALLOW_PLUGIN_PATHS";

export interface ConfigPayload {
  text: string;
  /** Absolute path of the config file (positions in findings, plugin modules). */
  file: string;
  /** Folder relative file references (TLS, plugins) resolve against. */
  baseDir: string;
  /** `sha256:<hex>` of the canonical config: the worker checks that its build agrees. */
  hash: string;
}

/** Primary → worker. */
export type ToWorker =
  /** Build `config`, apply it, bind the data listener (the port is shared through node:cluster). */
  | { type: "aigw:start"; config: ConfigPayload }
  /** Build `config` and swap it in; the running config stays on failure. */
  | { type: "aigw:apply"; id: number; config: ConfigPayload }
  /** The worker's registry as `getMetricsAsJSON()`, or null when metrics are off. */
  | { type: "aigw:metrics"; id: number }
  /** The worker's `GET /admin/upstreams` list. */
  | { type: "aigw:upstreams"; id: number }
  /** Drain (DESIGN.md 6) and exit 0. */
  | { type: "aigw:shutdown" };

/** A bound data listener, as a worker reports it. */
export interface DataAddress {
  url: string;
  port: number;
}

/** Worker → primary. */
export type FromWorker =
  /** The worker listens for messages: the primary sends `aigw:start` only after this (earlier ones would be lost). */
  | { type: "aigw:hello" }
  | { type: "aigw:started"; hash: string; address: DataAddress }
  | { type: "aigw:start-failed"; error: string }
  | { type: "aigw:applied"; id: number; hash: string }
  | { type: "aigw:apply-failed"; id: number; error: string }
  | { type: "aigw:metrics"; id: number; metrics: unknown[] | null }
  | { type: "aigw:upstreams"; id: number; upstreams: UpstreamStatus[] };

/** The answers that settle a request by `id`. */
export type Reply = Extract<FromWorker, { id: number }>;

const TO_WORKER: ReadonlySet<string> = new Set(["aigw:start", "aigw:apply", "aigw:metrics", "aigw:upstreams", "aigw:shutdown"]);
const FROM_WORKER: ReadonlySet<string> = new Set(["aigw:hello", "aigw:started", "aigw:start-failed", "aigw:applied", "aigw:apply-failed", "aigw:metrics", "aigw:upstreams"]);

function typeOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" ? type : null;
}

/** A message the primary sent (anything else on the channel is someone else's). */
export function isToWorker(value: unknown): value is ToWorker {
  const type = typeOf(value);
  return type !== null && TO_WORKER.has(type);
}

/** A message a worker sent. */
export function isFromWorker(value: unknown): value is FromWorker {
  const type = typeOf(value);
  return type !== null && FROM_WORKER.has(type);
}

/** How long the primary waits for a worker to answer a scrape or a status query. */
export const QUERY_TIMEOUT_MS = 2_000;
/** How long the primary waits for a worker to build and apply a config. */
export const APPLY_TIMEOUT_MS = 60_000;
