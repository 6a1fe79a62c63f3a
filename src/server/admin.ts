import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { AddressInfo } from "node:net";
import type { Snapshot } from "../compile/snapshot.js";
import type { GatewayConfig } from "../config/types.js";
import { isLoopbackAddress } from "../reload/admission.js";
import type { Gateway } from "./gateway.js";

type Role = "viewer" | "operator";

interface AdminToken {
  digest: Buffer;
  role: Role;
}

function tokensOf(config: GatewayConfig): AdminToken[] | null {
  const auth = config.server.adminAuth;
  if (auth === undefined) return null;
  return auth.tokens.map((t) => ({
    digest: t.sha256 !== undefined ? Buffer.from(t.sha256, "hex") : createHash("sha256").update(t.value ?? "").digest(),
    role: t.role,
  }));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; version=0.0.4; charset=utf-8" : "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Admin routes beyond the probes: `/admin/*`, each with the role it needs. */
export interface AdminRoute {
  method: string;
  path: string;
  role: Role;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

/** One upstream in `GET /admin/upstreams`: its targets' health, breaker and load. */
export interface UpstreamStatus {
  name: string;
  type: string;
  balancer: string;
  targets: Record<string, unknown>[];
}

/** The upstreams of a gateway's current generation. */
export function upstreamStatus(gateway: Gateway): UpstreamStatus[] {
  return [...(gateway.current?.resources.upstreams.values() ?? [])].map((u) => ({
    name: u.definition.name,
    type: u.definition.type,
    balancer: u.definition.balancer,
    targets: u.pool?.status() ?? [],
  }));
}

/** What the admin listener reads: one gateway, or the primary of `serve --workers N`. */
export interface AdminSource {
  readonly logger: Logger;
  /** The active config: admin tokens and `GET /admin/config`. */
  readonly activeConfig: { snapshot: Snapshot; loadedAt: string } | null;
  /** `/ready`: 200 with `body` when ready, else 503. */
  readiness(): { ready: boolean; body: Record<string, unknown> } | Promise<{ ready: boolean; body: Record<string, unknown> }>;
  /** The Prometheus exposition, or null when metrics are off. */
  metrics(): Promise<string | null>;
  /** The body of `GET /admin/upstreams`. */
  upstreams(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** The admin view of one gateway (a single-process `aigw serve`). */
export function gatewayAdminSource(gateway: Gateway): AdminSource {
  return {
    logger: gateway.logger,
    get activeConfig() {
      return gateway.activeConfig;
    },
    readiness() {
      const active = gateway.activeConfig;
      // OIDC discovery still pending does not make the gateway unready (other
      // providers and public routes work); it shows in the details.
      return gateway.ready
        ? { ready: true, body: { status: "ready", hash: active?.snapshot.hash, auth: gateway.authStatus() } }
        : { ready: false, body: { status: active === null ? "loading" : "draining" } };
    },
    metrics: async () => (gateway.metrics.enabled ? await gateway.metrics.registry.metrics() : null),
    upstreams: () => ({ upstreams: upstreamStatus(gateway) }),
  };
}

/**
 * The admin listener: `/health` (alive), `/ready` (a config is loaded and the
 * gateway is not draining), `/metrics` (Prometheus), and `/admin/*` behind
 * bearer tokens from `server.adminAuth` (viewer reads, operator also writes).
 * Tokens are read from the current config on every request, so a reload
 * rotates them.
 */
export function createAdminServer(source: AdminSource, extra: readonly AdminRoute[] = []): Server {
  const routes: AdminRoute[] = [
    {
      method: "GET",
      path: "/admin/config",
      role: "viewer",
      handle: (_req, res) => {
        const active = source.activeConfig;
        if (active === null) return send(res, 503, { error: { code: "not_ready", message: "no config loaded" } });
        send(res, 200, { hash: active.snapshot.hash, loadedAt: active.loadedAt, config: active.snapshot.canonical });
      },
    },
    {
      method: "GET",
      path: "/admin/upstreams",
      role: "viewer",
      handle: async (_req, res) => send(res, 200, await source.upstreams()),
    },
    ...extra,
  ];

  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/health") return send(res, 200, { status: "ok" });
      if (path === "/ready") {
        const { ready, body } = await source.readiness();
        return send(res, ready ? 200 : 503, body);
      }
      if (path === "/metrics") {
        const text = await source.metrics();
        if (text === null) return send(res, 404, { error: { code: "not_found", message: "metrics are off (observability.metrics.enabled: false)" } });
        return send(res, 200, text);
      }
      const route = routes.find((r) => r.path === path);
      if (route === undefined) return send(res, 404, { error: { code: "not_found", message: `no admin endpoint ${path}` } });
      if (route.method !== req.method) return send(res, 405, { error: { code: "method_not_allowed", message: `${path} takes ${route.method}` } }, { allow: route.method });
      const denied = authorize(req, source.activeConfig?.snapshot.config, route.role, boundAddress(server));
      if (denied !== null) return send(res, denied.status, { error: { code: denied.code, message: denied.message } }, denied.status === 401 ? { "www-authenticate": 'Bearer realm="aigw-admin"' } : {});
      await route.handle(req, res);
    } catch (err) {
      source.logger.error({ err }, "admin request failed");
      if (!res.headersSent) send(res, 500, { error: { code: "internal_error", message: "the admin request failed" } });
      else res.destroy();
    }
  });
  return server;
}

function boundAddress(server: Server): AddressInfo | null {
  const address = server.address();
  return address !== null && typeof address === "object" ? address : null;
}

function authorize(req: IncomingMessage, config: GatewayConfig | undefined, need: Role, bound: AddressInfo | null): { status: number; code: string; message: string } | null {
  // No config yet: nothing to check a token against, so nothing is allowed (fail closed).
  if (config === undefined) return { status: 503, code: "not_ready", message: "no config loaded yet" };
  const tokens = tokensOf(config);
  if (tokens === null) {
    // Without tokens only a loopback listener is open; judged by the socket as bound, not the config as written.
    if (bound !== null && isLoopbackAddress(bound.address)) return null;
    return { status: 403, code: "admin_auth_required", message: "this admin listener is not on loopback and the config has no adminAuth: /admin/* is closed" };
  }
  const header = req.headers.authorization ?? "";
  const presented = header.toLowerCase().startsWith("bearer ") ? header.slice(7).trim() : "";
  if (presented === "") return { status: 401, code: "unauthorized", message: "an admin bearer token is required" };
  const digest = createHash("sha256").update(presented).digest();
  const token = tokens.find((t) => t.digest.length === digest.length && timingSafeEqual(t.digest, digest));
  if (token === undefined) return { status: 401, code: "unauthorized", message: "the admin token is not valid" };
  if (need === "operator" && token.role !== "operator") return { status: 403, code: "forbidden", message: "this endpoint needs an operator token" };
  return null;
}
