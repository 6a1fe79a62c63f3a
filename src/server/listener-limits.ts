import type { Server as HttpServer } from "node:http";
import type { GatewayConfig } from "../config/types.js";

/** `server.limits` with defaults filled in: what both listeners (plain and TLS) enforce. */
export interface ListenerLimits {
  /** Time to receive a request's headers (HTTP/1.1); an HTTP/2 connection with no open stream closes after it. 0 = off. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included (HTTP/1.1 and each HTTP/2 stream). 0 = off. */
  readonly requestTimeoutMs: number;
  /** Idle time of an HTTP/1.1 keep-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request header section (HTTP/1.1) or header list (HTTP/2, uncompressed). */
  readonly maxHeaderBytes: number;
  /** Streams one HTTP/2 connection may have open at once; more are refused with REFUSED_STREAM. */
  readonly maxConcurrentStreams: number;
  /** How often expired connections and streams are looked for: the timeouts' resolution. */
  readonly checkIntervalMs: number;
}

export const LIMIT_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16_384,
  maxConcurrentStreams: 100,
} as const;

/**
 * HTTP/2 flood bounds (Node's names and defaults, set explicitly so they are
 * part of the contract): a connection is closed after this many invalid
 * frames, refused streams, unacknowledged PINGs, or entries in one SETTINGS
 * frame; nghttp2 also bounds queued SETTINGS/PING acknowledgements and the
 * rate of stream resets (CVE-2023-44487), and caps CONTINUATION frames.
 */
export const HTTP2_FLOOD_LIMITS = {
  maxSessionInvalidFrames: 1000,
  maxSessionRejectedStreams: 100,
  maxOutstandingPings: 10,
  maxSettings: 32,
  maxHeaderListPairs: 128,
} as const;

/** The limits of `config.server.limits`, defaults applied. */
export function listenerLimits(config: GatewayConfig): ListenerLimits {
  const limits = config.server.limits;
  const requestTimeoutMs = limits.requestTimeoutMs;
  const configuredHeaders = limits.headersTimeoutMs;
  // Headers are part of the request: they cannot be given longer than the whole of it (node:http refuses to start otherwise).
  const headersTimeoutMs = requestTimeoutMs > 0 && configuredHeaders > requestTimeoutMs ? requestTimeoutMs : configuredHeaders;
  const shortest = Math.min(...[headersTimeoutMs, requestTimeoutMs].filter((ms) => ms > 0), 30_000);
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: LIMIT_DEFAULTS.keepAliveTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    maxConcurrentStreams: limits.http2.maxConcurrentStreams,
    // A quarter of the shortest timeout: a timeout fires at most 25% late, and a sweep of the open connections runs at most every 7.5 s.
    checkIntervalMs: Math.max(25, Math.floor(shortest / 4)),
  };
}

/** The node:http options that carry the limits (plain listener). */
export function http1Options(limits: ListenerLimits): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  maxHeaderSize: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/**
 * The same limits on the HTTP/1.1 fallback of an HTTP/2 server, which reads
 * them from the server object (node's `http2.createSecureServer` sets its
 * own defaults: 60 s for headers, checked every 30 s). Must run before
 * `listen`, which starts the connection checks.
 */
export function applyHttp1Limits(server: object, limits: ListenerLimits): void {
  Object.assign(server as Partial<HttpServer>, http1Options(limits));
}
