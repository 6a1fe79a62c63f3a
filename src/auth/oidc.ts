import type { IncomingHttpHeaders } from "node:http";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { OidcProvider } from "../config/types.js";
import type { AuthOutcome, Authenticator, AuthenticatorStatus } from "./authenticator.js";
import { JwtVerifier } from "./jwt.js";

/** How discovery reaches the issuer; tests pass a fake. */
export type Discover = (issuer: URL, clientId: string) => Promise<{ issuer: string; jwksUri: string; algorithms?: string[] }>;

/** Discovery with openid-client: the issuer's metadata (`/.well-known/openid-configuration`). */
export const discoverWithOpenidClient: Discover = async (issuer, clientId) => {
  const client = await import("openid-client");
  const options = issuer.protocol === "http:" ? { execute: [client.allowInsecureRequests] } : undefined;
  const config = await client.discovery(issuer, clientId, undefined, undefined, options);
  const meta = config.serverMetadata();
  if (meta.jwks_uri === undefined) throw new Error("the issuer publishes no jwks_uri");
  return {
    issuer: meta.issuer,
    jwksUri: meta.jwks_uri,
    ...(meta.id_token_signing_alg_values_supported === undefined ? {} : { algorithms: meta.id_token_signing_alg_values_supported }),
  };
};

/**
 * `oidc` providers: discovery from `issuer` (openid-client), then tokens are
 * verified like `jwt` against the discovered JWKS. Discovery runs in the
 * background and retries every `discoveryRetryMs` while it fails; until it
 * succeeds, this provider answers `unavailable` (the route may still accept
 * another provider) and /ready reports why. It never throws out of a request.
 */
export class OidcAuthenticator implements Authenticator {
  readonly type = "oidc" as const;
  readonly name: string;
  readonly credentialHeaders: readonly string[];
  private verifier: JwtVerifier | null = null;
  private state: AuthenticatorStatus = { ready: false, detail: "discovering" };
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly def: OidcProvider,
    private readonly discover: Discover = discoverWithOpenidClient,
    private readonly now: () => number = Date.now,
  ) {
    this.name = def.name;
    const header = def.header.toLowerCase();
    this.credentialHeaders = header === "authorization" ? ["authorization"] : ["authorization", header];
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const audience = Array.isArray(this.def.audience) ? this.def.audience[0] : this.def.audience;
    try {
      const meta = await this.discover(new URL(this.def.issuer), audience ?? "aigw");
      if (this.closed) return;
      const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(meta.jwksUri), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
      this.verifier = new JwtVerifier(
        {
          name: this.def.name,
          issuer: meta.issuer,
          audience: this.def.audience,
          algorithms: this.def.algorithms ?? meta.algorithms?.filter((a) => a !== "none" && !a.startsWith("HS")),
          consumerClaim: this.def.consumerClaim,
          scopesClaim: this.def.scopesClaim,
          clockToleranceMs: this.def.clockToleranceMs,
          requireExp: this.def.requireExp,
          header: this.def.header.toLowerCase(),
          now: this.now,
        },
        () => jwks,
      );
      this.state = { ready: true };
    } catch (err) {
      this.state = { ready: false, detail: `discovery failed: ${(err as Error).message}; retrying` };
      this.timer = setTimeout(() => void this.attempt(), this.def.discoveryRetryMs);
      this.timer.unref();
    }
  }

  authenticate(headers: IncomingHttpHeaders): AuthOutcome | Promise<AuthOutcome> {
    if (this.verifier === null) {
      const has = headers.authorization !== undefined;
      return has ? { kind: "unavailable", reason: "discovery_pending" } : { kind: "absent" };
    }
    return this.verifier.verify(headers);
  }

  status(): AuthenticatorStatus {
    return this.state;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  async destroy(): Promise<void> {
    await this.close();
  }
}
