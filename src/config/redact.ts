import { createHash } from "node:crypto";

/** First 8 hex digits of the value's sha256: enough to tell a change, too short to be a usable digest of the secret. */
export function shortHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}

/** How a secret prints: `<redacted:1a2b3c4d>`, so a changed secret shows as a change and never as text. */
export function redact(secret: string): string {
  return `<redacted:${shortHash(secret)}>`;
}

/**
 * Header (and header-like) names whose values are credentials wherever
 * they appear: the usual credential headers, and any name that says token,
 * secret, key, password, auth, credential or cookie.
 */
const SENSITIVE_EXACT: ReadonlySet<string> = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"]);
const SENSITIVE_PART = /token|secret|key|passw(or)?d|auth|credential|cookie/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_EXACT.has(name.toLowerCase()) || SENSITIVE_PART.test(name);
}
