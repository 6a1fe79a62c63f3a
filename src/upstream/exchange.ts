import type { Readable } from "node:stream";
import type { Cancel } from "../lifecycle/cancel.js";
import type { UpstreamBody } from "./body.js";

/** One request to an upstream, whatever carries it (undici, or the in-process mock). */
export interface UpstreamRequest {
  method: string;
  /** Path and query, already rewritten. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable | null;
  /** Aborts the exchange, at any point. */
  signal: Cancel;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}
