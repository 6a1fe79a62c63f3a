import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createSecureServer, type Http2ServerRequest } from "node:http2";
import type { Server as NetServer } from "node:net";
import type { GatewayConfig } from "../config/types.js";
import type { Gateway } from "./gateway.js";
import { GuardedHttp2Request, GuardedHttp2Response } from "./http2-compat.js";
import { guardHttp2, type TrackRequest } from "./http2-guard.js";
import { applyHttp1Limits, http1Options, HTTP2_FLOOD_LIMITS, listenerLimits } from "./listener-limits.js";

/**
 * The data-plane listener: HTTP/1.1, or TLS with HTTP/2 via ALPN and an
 * HTTP/1.1 fallback when `server.tls` is set. Both enforce `server.limits`
 * (see listener-limits.ts); limits come from the config that was current at
 * start (listener settings need a restart to change).
 */
export function createDataServer(gateway: Gateway, config: GatewayConfig, baseDir: string): NetServer {
  const limits = listenerLimits(config);
  const tls = config.server.tls;
  if (tls !== undefined) {
    const path = (p: string): string => (p.startsWith("/") ? p : `${baseDir}/${p}`);
    let track: TrackRequest = () => undefined;
    const server = createSecureServer(
      {
        allowHTTP1: true,
        cert: readFileSync(path(tls.cert)),
        key: readFileSync(path(tls.key)),
        minVersion: tls.minVersion,
        // A handshake is the first part of sending the request headers.
        ...(limits.headersTimeoutMs > 0 ? { handshakeTimeout: limits.headersTimeoutMs } : {}),
        settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
        ...HTTP2_FLOOD_LIMITS,
        Http2ServerRequest: GuardedHttp2Request,
        Http2ServerResponse: GuardedHttp2Response,
      },
      (req, res) => {
        if (req.httpVersionMajor === 2) track(req as Http2ServerRequest);
        gateway.handler(req as unknown as IncomingMessage, res as unknown as ServerResponse, "https");
      },
    );
    server.setTimeout(0);
    applyHttp1Limits(server, limits);
    track = guardHttp2(server, limits);
    return server as unknown as NetServer;
  }
  const server: Server = createServer({ ...http1Options(limits), noDelay: true }, (req, res) => gateway.handler(req, res, "http"));
  return server;
}
