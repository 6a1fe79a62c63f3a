import { isLoopback } from "../config/checks/server.js";
import type { Path } from "../config/pointer.js";
import type { GatewayConfig } from "../config/types.js";
import { ErrorCode } from "../errors/codes.js";
import { AigwError } from "../errors/errors.js";

/** An address a listener is bound to (`server.address()`). */
export interface BoundAddress {
  address: string;
  port: number;
}

/** Why a valid config cannot run in this process: a finding without a position yet. */
export interface Refusal {
  rule: string;
  path: Path;
  message: string;
  hint: string;
}

/** `::ffff:127.0.0.1` is loopback too (an IPv4 address on a dual-stack socket). */
export function isLoopbackAddress(address: string): boolean {
  return isLoopback(address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address);
}

/**
 * Whether a config may become current in a process whose admin listener is
 * already bound to `admin`. Validate judges the address as written; once
 * bound, a listener keeps its address until restart, so this judges the
 * address as bound: a non-loopback admin listener always needs `adminAuth`.
 */
export function admissionRefusal(config: GatewayConfig, admin: BoundAddress | null): Refusal | null {
  if (admin === null || config.server.adminAuth !== undefined || isLoopbackAddress(admin.address)) return null;
  const where = `${admin.address.includes(":") ? `[${admin.address}]` : admin.address}:${admin.port}`;
  return {
    rule: "server.admin.exposed",
    path: ["server", "admin"],
    message: `the admin listener is bound to ${where} until restart, and the new config has no \`adminAuth\`: anyone who reaches it could read the config and reload it`,
    hint: "keep server.adminAuth while the listener is bound to a non-loopback address; listener addresses change at restart only",
  };
}

/** A valid config the running process refused (see `admissionRefusal`); the running config stays. */
export class ConfigRefused extends AigwError {
  constructor(readonly refusal: Refusal) {
    super(ErrorCode.ConfigInvalid, refusal.message, { hint: refusal.hint });
  }

  static isRefusal(value: unknown): value is ConfigRefused {
    return AigwError.is(value) && value.code === ErrorCode.ConfigInvalid && typeof (value as Partial<ConfigRefused>).refusal === "object";
  }
}

/** Throws ConfigRefused when `config` may not run next to the admin listener as bound. */
export function admit(config: GatewayConfig, admin: BoundAddress | null): void {
  const refusal = admissionRefusal(config, admin);
  if (refusal !== null) throw new ConfigRefused(refusal);
}
