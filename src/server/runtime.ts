import type { Server as HttpServer } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Snapshot } from "../compile/snapshot.js";
import { createAdminServer, gatewayAdminSource, type AdminRoute } from "./admin.js";
import { createDataServer } from "./data-server.js";
import type { Gateway } from "./gateway.js";
import { listen, urlOf } from "./listen.js";

/** A gateway with its two listeners bound. */
export interface RunningGateway {
  readonly gateway: Gateway;
  readonly dataUrl: string;
  readonly adminUrl: string;
  readonly dataAddress: AddressInfo;
  readonly adminAddress: AddressInfo;
  /** DESIGN.md 6 shutdown; resolves when everything is closed. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** Folder of the config file (relative TLS paths). */
  baseDir: string;
  adminRoutes?: readonly AdminRoute[];
}

/** The data listener alone: what a cluster worker runs (the primary owns the admin listener). */
export interface RunningDataPlane {
  readonly gateway: Gateway;
  readonly dataUrl: string;
  readonly dataAddress: AddressInfo;
  /** DESIGN.md 6 shutdown of the data plane; resolves when everything is closed. Idempotent. */
  shutdown(): Promise<void>;
}

/** Binds the data listener for a gateway that has a snapshot applied. */
export async function startDataPlane(gateway: Gateway, snapshot: Snapshot, baseDir: string): Promise<RunningDataPlane> {
  const config = snapshot.config;
  const dataServer = createDataServer(gateway, config, baseDir);
  const dataAddress = await listen(dataServer, config.server.listen);
  let stopping: Promise<void> | null = null;
  return {
    gateway,
    dataUrl: urlOf(dataAddress, config.server.tls === undefined ? "http" : "https"),
    dataAddress,
    shutdown() {
      stopping ??= drain(gateway, dataServer, null);
      return stopping;
    },
  };
}

/** Binds the data and admin listeners for a gateway that has a snapshot applied. */
export async function startGateway(gateway: Gateway, snapshot: Snapshot, options: StartOptions): Promise<RunningGateway> {
  const config = snapshot.config;
  const dataServer = createDataServer(gateway, config, options.baseDir);
  const adminServer = createAdminServer(gatewayAdminSource(gateway), options.adminRoutes);
  const dataAddress = await listen(dataServer, config.server.listen);
  let adminAddress: AddressInfo;
  try {
    adminAddress = await listen(adminServer, config.server.admin);
  } catch (err) {
    dataServer.close();
    throw err;
  }
  gateway.listenersBound({ admin: adminAddress });
  let stopping: Promise<void> | null = null;
  return {
    gateway,
    dataUrl: urlOf(dataAddress, config.server.tls === undefined ? "http" : "https"),
    adminUrl: urlOf(adminAddress),
    dataAddress,
    adminAddress,
    shutdown() {
      stopping ??= drain(gateway, dataServer, adminServer);
      return stopping;
    },
  };
}

/**
 * Shutdown (DESIGN.md 6 and 10): /ready turns 503; after `drainDelayMs` the
 * listener stops accepting and idle keep-alive connections close; in-flight
 * requests finish until `graceMs` (counted from the start, delay included);
 * then every connection is cut, pools close, and the admin listener (if any) stops.
 */
async function drain(gateway: Gateway, dataServer: NetServer, adminServer: HttpServer | null): Promise<void> {
  // A gateway that never applied a config has nothing to drain.
  const { drainDelayMs, graceMs } = gateway.activeConfig?.snapshot.config.server.shutdown ?? { drainDelayMs: 0, graceMs: 0 };
  const started = performance.now();
  gateway.startDraining();
  gateway.logger.info({ drainDelayMs, graceMs, inFlight: gateway.inFlight }, "shutting down: draining");
  if (drainDelayMs > 0) await sleep(Math.min(drainDelayMs, graceMs), undefined, { ref: false });
  const closed = new Promise<void>((resolve) => dataServer.close(() => resolve()));
  const http = dataServer as Partial<HttpServer>;
  http.closeIdleConnections?.();
  const remaining = Math.max(0, graceMs - (performance.now() - started));
  const finished = await Promise.race([gateway.idle().then(() => true), sleep(remaining, undefined, { ref: false }).then(() => false)]);
  if (!finished) gateway.logger.warn({ inFlight: gateway.inFlight }, "shutdown grace period over: cutting the remaining requests");
  http.closeAllConnections?.();
  await Promise.race([closed, sleep(1000, undefined, { ref: false })]);
  await gateway.close();
  if (adminServer !== null) {
    await new Promise<void>((resolve) => {
      adminServer.close(() => resolve());
      adminServer.closeAllConnections();
    });
  }
  gateway.logger.info("shutdown complete");
}
