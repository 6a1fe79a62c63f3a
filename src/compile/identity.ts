import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeyProvider } from "../config/types.js";

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

/** The API key a request presents: `Authorization: Bearer <key>` or `x-api-key`. */
export function presentedApiKey(header: (name: string) => string | undefined): string | undefined {
  const auth = header("authorization");
  if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer ") return auth.slice(7).trim();
  return header("x-api-key");
}

/** Matches a presented key against a provider's keys, comparing hashes in constant time. */
export function findApiKey(provider: ApiKeyProvider, key: string): ApiKeyProvider["keys"][number] | undefined {
  const presented = createHash("sha256").update(key).digest();
  let found: ApiKeyProvider["keys"][number] | undefined;
  for (const k of provider.keys) {
    const expectedHex = k.sha256 ?? (k.value === undefined ? undefined : sha256Hex(k.value));
    if (expectedHex === undefined) continue;
    const expected = Buffer.from(expectedHex, "hex");
    if (expected.length === presented.length && timingSafeEqual(expected, presented) && found === undefined) found = k;
  }
  return found;
}

/** Scopes from a claim: a space-separated string or an array. */
export function scopesFromClaim(value: unknown): string[] {
  if (typeof value === "string") return value.split(/\s+/).filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string");
  return [];
}
