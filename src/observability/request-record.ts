import type { Usage } from "../usage/extract.js";
import type { RequestTrace } from "./tracing.js";

/**
 * What observability reads of a finished request (the access line, the
 * server span): its own small type, so logging and tracing never depend on
 * the request path. The pipeline's request context has these fields.
 */
export interface RequestRecord {
  readonly id: string;
  readonly req: { readonly method?: string | undefined };
  readonly host: string;
  readonly path: string;
  readonly route: { readonly compiled: { readonly name: string } } | null;
  readonly upstream: string | null;
  readonly consumer: { readonly name: string } | null;
  readonly identity: { readonly subject: string } | null;
  readonly model: string | undefined;
  readonly responseModel: string | undefined;
  readonly target: string | null;
  readonly status: number;
  /** Monotonic ms at arrival. */
  readonly startedAt: number;
  readonly upstreamMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly clientIp: string;
  readonly errorCode: string | null;
  readonly usage: Usage | null;
  readonly costUsd: number | null;
  readonly cache: "hit" | "miss" | null;
  readonly trace: RequestTrace | null;
}
