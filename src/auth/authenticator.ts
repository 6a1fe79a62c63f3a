import type { IncomingHttpHeaders } from "node:http";
import type { Identity } from "../compile/identity.js";
import type { SharedResource } from "../lifecycle/registry.js";

/**
 * What a provider made of a request: an identity; no credential of its kind
 * (`absent`: the next provider may try); a credential it rejects
 * (`invalid`, with a short, bounded reason for metrics); or it cannot decide
 * now (`unavailable`: e.g. OIDC discovery has not succeeded yet).
 */
export type AuthOutcome =
  | { kind: "ok"; identity: Identity }
  | { kind: "absent" }
  | { kind: "invalid"; reason: string; description: string }
  | { kind: "unavailable"; reason: string };

export interface AuthenticatorStatus {
  ready: boolean;
  detail?: string;
}

/** One auth provider at run time; shared across snapshots while its definition is unchanged. */
export interface Authenticator extends SharedResource {
  readonly name: string;
  readonly type: "apiKey" | "jwt" | "oidc";
  /** Request headers that carry this provider's credential (never forwarded upstream). */
  readonly credentialHeaders: readonly string[];
  authenticate(headers: IncomingHttpHeaders): AuthOutcome | Promise<AuthOutcome>;
  status(): AuthenticatorStatus;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A token shaped like a JWS (three dot-separated parts, the first two non-empty). */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf(".");
  if (first <= 0) return false;
  const second = token.indexOf(".", first + 1);
  return second > first + 1 && token.indexOf(".", second + 1) === -1;
}

/** The token of `Authorization: Bearer <token>` (or of another header carrying `Bearer <token>`). */
export function bearerToken(headers: IncomingHttpHeaders, header = "authorization"): string | undefined {
  const value = headerValue(headers, header);
  if (value === undefined || value.length < 8 || value.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = value.slice(7).trim();
  return token === "" ? undefined : token;
}
