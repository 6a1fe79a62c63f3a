import { createHash } from "node:crypto";

/** An authenticated caller. */
export interface Identity {
  /** The auth provider that recognised the caller (null when given directly, e.g. `explain --consumer`). */
  provider: string | null;
  /** The consumer claim or API key's consumer. */
  subject: string;
  /** Scopes carried by the credential itself (key scopes, token scopes). */
  scopes: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Scopes from a claim: a space-separated string or an array. */
export function scopesFromClaim(value: unknown): string[] {
  if (typeof value === "string") return value.split(/\s+/).filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string");
  return [];
}
