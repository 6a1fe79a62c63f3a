import type { JwtProvider } from "../config/types.js";
import type { IncomingHttpHeaders } from "node:http";
import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyObject } from "jose";
import { scopesFromClaim, type Identity } from "../compile/identity.js";
import { VerifiedTokens } from "./verified-tokens.js";
import { bearerToken, looksLikeJwt, type AuthOutcome, type Authenticator, type AuthenticatorStatus } from "./authenticator.js";

/** What verifying needs, whether configured directly (jwt) or discovered (oidc). */
export interface JwtVerifierOptions {
  name: string;
  issuer?: string | undefined;
  audience?: string | string[] | undefined;
  algorithms?: readonly string[] | undefined;
  consumerClaim: string;
  scopesClaim: string;
  clockToleranceMs: number;
  /** Refuse tokens without `exp` (default true). */
  requireExp?: boolean | undefined;
  header: string;
  /** Wall clock for `exp`/`nbf` and the verified-token cache (the gateway's clock; tests pass a fake one). */
  now?: () => number;
}

type KeySource = Uint8Array | JWTVerifyGetKey;

/** Maps jose's error codes to bounded metric reasons. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: string; claim?: string } | null)?.code ?? "";
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const { claim, reason } = err as { claim?: string; reason?: string };
      if (claim === "exp" && reason === "missing") return "no_exp";
      return claim === "nbf" ? "not_yet_valid" : claim === "iss" ? "issuer" : claim === "aud" ? "audience" : "claim";
    }
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "signature";
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "unknown_kid";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "algorithm";
    case "ERR_JWKS_TIMEOUT":
    case "ERR_JWKS_INVALID":
      return "jwks_unavailable";
    default:
      return "malformed";
  }
}

/** Description of a refusal, for the 401's `error_description`. */
function describe(reason: string): string {
  return reason === "no_exp" ? "the token has no exp claim" : `the token is not valid (${reason.replace(/_/g, " ")})`;
}

/**
 * Verifies bearer JWTs with jose against a key source, by the gateway's
 * clock. A token must carry `exp` unless `requireExp` is false. A token
 * that verified is remembered until its `exp` (at most 5 minutes), so a
 * repeated token is answered synchronously without a signature check.
 */
export class JwtVerifier {
  private readonly verified: VerifiedTokens;
  private readonly now: () => number;
  private readonly requiredClaims: string[];

  constructor(
    private readonly options: JwtVerifierOptions,
    private readonly key: () => KeySource | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.verified = new VerifiedTokens(this.now);
    this.requiredClaims = options.requireExp === false ? [] : ["exp"];
  }

  verify(headers: IncomingHttpHeaders): AuthOutcome | Promise<AuthOutcome> {
    const token = bearerToken(headers, this.options.header);
    if (token === undefined || !looksLikeJwt(token)) return { kind: "absent" };
    const identity = this.verified.get(token);
    if (identity !== undefined) return { kind: "ok", identity };
    return this.verifyToken(token);
  }

  private async verifyToken(token: string): Promise<AuthOutcome> {
    const key = this.key();
    if (key === undefined) return { kind: "unavailable", reason: "keys_unavailable" };
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
        ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
        ...(this.options.algorithms === undefined ? {} : { algorithms: [...this.options.algorithms] }),
        clockTolerance: Math.round(this.options.clockToleranceMs / 1000),
        requiredClaims: this.requiredClaims,
        currentDate: new Date(this.now()),
      };
      payload = (typeof key === "function" ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions)).payload;
    } catch (err) {
      const reason = reasonOf(err);
      if (reason === "jwks_unavailable") return { kind: "unavailable", reason };
      return { kind: "invalid", reason, description: describe(reason) };
    }
    const subject = payload[this.options.consumerClaim];
    if (typeof subject !== "string" || subject === "") {
      return { kind: "invalid", reason: "no_consumer", description: `the token has no ${this.options.consumerClaim} claim` };
    }
    const identity: Identity = { provider: this.options.name, subject, scopes: scopesFromClaim(payload[this.options.scopesClaim]), claims: payload as Record<string, unknown> };
    this.verified.set(token, identity, payload.exp);
    return { kind: "ok", identity };
  }
}

/** A `jwt` provider as validated (defaults filled). */
export type JwtProviderDef = Omit<JwtProvider, "type">;

/**
 * `jwt` providers: HS* with a shared `secret`, RS/PS/ES/EdDSA with a PEM
 * `publicKey` or a remote `jwks.url` (jose caches the key set, refetches on
 * an unknown `kid` at most once per cool-down, and picks up rotated keys).
 * The algorithm allow-list is enforced by jose; `none` is never accepted.
 */
export class JwtAuthenticator implements Authenticator {
  readonly type = "jwt" as const;
  readonly name: string;
  readonly credentialHeaders: readonly string[];
  private readonly verifier: JwtVerifier;
  private pemKeys = new Map<string, KeyObject>();
  private pemReady: Promise<void> | null = null;

  constructor(def: JwtProviderDef, now: () => number = Date.now) {
    this.name = def.name;
    const header = def.header.toLowerCase();
    this.credentialHeaders = header === "authorization" ? ["authorization"] : ["authorization", header];
    let source: () => KeySource | undefined;
    if (def.secret !== undefined) {
      const secret = new TextEncoder().encode(def.secret);
      source = () => secret;
    } else if (def.jwks !== undefined) {
      const jwks = createRemoteJWKSet(new URL(def.jwks.url), {
        cooldownDuration: def.jwks.cooldownMs,
        cacheMaxAge: def.jwks.cacheMaxAgeMs,
        timeoutDuration: def.jwks.timeoutMs,
      });
      source = () => jwks;
    } else {
      const pem = def.publicKey ?? "";
      // One KeyObject per allowed algorithm the key can serve, imported once.
      this.pemReady = Promise.all(
        def.algorithms.map(async (alg) => {
          try {
            this.pemKeys.set(alg, (await importSPKI(pem, alg)) as KeyObject);
          } catch {
            // An algorithm this key type cannot verify: tokens using it fail.
          }
        }),
      ).then(() => undefined);
      const getKey: JWTVerifyGetKey = async (protectedHeader) => {
        await this.pemReady;
        const key = this.pemKeys.get(protectedHeader.alg);
        if (key === undefined) throw Object.assign(new Error("algorithm not allowed"), { code: "ERR_JOSE_ALG_NOT_ALLOWED" });
        return key;
      };
      source = () => getKey;
    }
    this.verifier = new JwtVerifier(
      {
        name: def.name,
        issuer: def.issuer,
        audience: def.audience,
        algorithms: def.algorithms,
        consumerClaim: def.consumerClaim,
        scopesClaim: def.scopesClaim,
        clockToleranceMs: def.clockToleranceMs,
        requireExp: def.requireExp,
        header,
        now,
      },
      source,
    );
  }

  authenticate(headers: IncomingHttpHeaders): AuthOutcome | Promise<AuthOutcome> {
    return this.verifier.verify(headers);
  }

  status(): AuthenticatorStatus {
    return { ready: true };
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
