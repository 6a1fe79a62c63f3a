import { createHash, hash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ApiKeyProvider } from "../config/types.js";
import { bearerToken, headerValue, looksLikeJwt, type AuthOutcome, type Authenticator } from "./authenticator.js";

interface StoredKey {
  readonly digest: Buffer;
  /** What a request presenting this key gets: made once, shared (nothing changes an identity). */
  readonly ok: AuthOutcome;
}

/**
 * API keys from `Authorization: Bearer <key>` or `x-api-key`. Keys are held
 * as sha256 digests only (a `value` from the environment is hashed at load).
 * A presented key is hashed, looked up by digest, and confirmed with a
 * constant-time comparison: lookup timing can only reveal bits of a digest,
 * which do not help anyone forge a key. JWT-shaped bearer tokens are left to
 * the route's JWT/OIDC providers.
 */
export class ApiKeyAuthenticator implements Authenticator {
  readonly type = "apiKey" as const;
  readonly name: string;
  readonly credentialHeaders = ["authorization", "x-api-key"];
  private readonly byDigest = new Map<string, StoredKey>();

  constructor(def: ApiKeyProvider) {
    this.name = def.name;
    for (const k of def.keys) {
      const hex = (k.sha256 ?? createHash("sha256").update(k.value ?? "").digest("hex")).toLowerCase();
      const identity = Object.freeze({ provider: this.name, subject: k.consumer, scopes: Object.freeze([...(k.scopes ?? [])]), claims: Object.freeze({ keyId: k.id }) });
      this.byDigest.set(hex, { digest: Buffer.from(hex, "hex"), ok: Object.freeze({ kind: "ok", identity }) });
    }
  }

  authenticate(headers: IncomingHttpHeaders): AuthOutcome {
    // A JWT-shaped bearer token belongs to the JWT/OIDC providers of the route.
    const bearer = bearerToken(headers);
    const key = (bearer !== undefined && !looksLikeJwt(bearer) ? bearer : undefined) ?? headerValue(headers, "x-api-key");
    if (key === undefined || key === "") return { kind: "absent" };
    const digest = hash("sha256", key, "buffer");
    const found = this.byDigest.get(digest.toString("hex"));
    if (found === undefined || !timingSafeEqual(found.digest, digest)) {
      return { kind: "invalid", reason: "unknown_key", description: "the API key is not valid" };
    }
    return found.ok;
  }

  status(): { ready: boolean } {
    return { ready: true };
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
