import { hash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ApiKeyProvider } from "../config/types.js";
import { bearerToken, headerValue, looksLikeJwt, type AuthOutcome, type Authenticator } from "./authenticator.js";


const UNKNOWN_KEY: AuthOutcome = Object.freeze({ kind: "invalid", reason: "unknown_key", description: "the API key is not valid" });

/**
 * API keys from `Authorization: Bearer <key>` or `x-api-key`. Keys are held
 * as sha256 digests only (a `value` from the environment is hashed at load).
 * A presented key is hashed and looked up by its hex digest: lookup timing
 * can only reveal bits of a digest, which do not help anyone forge a key
 * (so no constant-time comparison follows; the exact match is the Map's).
 * JWT-shaped bearer tokens are left to the route's JWT/OIDC providers.
 */
export class ApiKeyAuthenticator implements Authenticator {
  readonly type = "apiKey" as const;
  readonly name: string;
  readonly credentialHeaders = ["authorization", "x-api-key"];
  /** Hex digest (lower case) → what a request presenting that key gets: made once, shared (nothing changes an identity). */
  private readonly byDigest = new Map<string, AuthOutcome>();

  constructor(def: ApiKeyProvider) {
    this.name = def.name;
    for (const k of def.keys) {
      const hex = (k.sha256 ?? hash("sha256", k.value ?? "", "hex")).toLowerCase();
      const identity = Object.freeze({ provider: this.name, subject: k.consumer, scopes: Object.freeze([...(k.scopes ?? [])]), claims: Object.freeze({ keyId: k.id }) });
      this.byDigest.set(hex, Object.freeze({ kind: "ok", identity }));
    }
  }

  authenticate(headers: IncomingHttpHeaders): AuthOutcome {
    // A JWT-shaped bearer token belongs to the JWT/OIDC providers of the route.
    const bearer = bearerToken(headers);
    const key = (bearer !== undefined && !looksLikeJwt(bearer) ? bearer : undefined) ?? headerValue(headers, "x-api-key");
    if (key === undefined || key === "") return { kind: "absent" };
    return this.byDigest.get(hash("sha256", key, "hex")) ?? UNKNOWN_KEY;
  }

  status(): { ready: boolean } {
    return { ready: true };
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
