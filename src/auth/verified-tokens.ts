import type { Identity } from "../compile/identity.js";

interface Entry {
  identity: Identity;
  /** Wall-clock ms after which the token must be verified again. */
  until: number;
}

/**
 * Tokens that verified, by their exact text, so a client that reuses its
 * token (the common case: until it expires) pays for the signature check
 * once. An entry lives until the token's `exp` (never past it: the
 * verifier's clock tolerance only applies on a real verification), and at
 * most `maxAgeMs` so that a key withdrawn from a JWKS stops admitting
 * cached tokens soon after jose would. Only successes are kept; at most
 * `maxEntries`, the oldest dropped first. Envoy's `jwt_cache_config` does
 * the same.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 300_000,
  ) {}

  get(token: string): Identity | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.until > this.now()) return entry.identity;
    this.entries.delete(token);
    return undefined;
  }

  /** Keeps a verified token; `exp` in seconds since the epoch, as in the claim. */
  set(token: string, identity: Identity, exp: number | undefined): void {
    if (this.maxEntries <= 0) return;
    const now = this.now();
    const until = Math.min(now + this.maxAgeMs, typeof exp === "number" ? exp * 1000 : Infinity);
    if (until <= now) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { identity: Object.freeze(identity), until });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
