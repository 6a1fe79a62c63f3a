import type { Readable } from "node:stream";
import type { UpstreamBody } from "./body.js";

/** One request to an upstream, whatever carries it (undici, or the in-process mock). */
export interface UpstreamRequest {
  method: string;
  /** Path and query, already rewritten. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable | null;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}
