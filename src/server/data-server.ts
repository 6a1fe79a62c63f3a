import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createSecureServer } from "node:http2";
import type { Server as NetServer } from "node:net";
import type { GatewayConfig } from "../config/types.js";
import type { Gateway } from "./gateway.js";

/**
 * The data-plane listener: HTTP/1.1, or TLS with HTTP/2 via ALPN and an
 * HTTP/1.1 fallback when `server.tls` is set. Limits come from the config
 * that was current at start (listener settings need a restart to change).
 */
export function createDataServer(gateway: Gateway, config: GatewayConfig, baseDir: string): NetServer {
  const limits = config.server?.limits ?? {};
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  const tls = config.server?.tls;
  if (tls !== undefined) {
    const path = (p: string): string => (p.startsWith("/") ? p : `${baseDir}/${p}`);
    const server = createSecureServer(
      {
        allowHTTP1: true,
        cert: readFileSync(path(tls.cert)),
        key: readFileSync(path(tls.key)),
        minVersion: tls.minVersion ?? "TLSv1.2",
      },
      (req, res) => gateway.handler(req as unknown as IncomingMessage, res as unknown as ServerResponse, "https"),
    );
    server.setTimeout(0);
    return server as unknown as NetServer;
  }
  const server: Server = createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs ?? 300_000,
      keepAliveTimeout: 5_000,
      noDelay: true,
    },
    (req, res) => gateway.handler(req, res, "http"),
  );
  return server;
}
