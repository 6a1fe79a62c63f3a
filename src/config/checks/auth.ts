import { createHash } from "node:crypto";
import { HMAC_ALGORITHMS } from "../kinds.js";
import type { Path } from "../pointer.js";
import type { CheckContext } from "./context.js";

/** Exactly one of `keys` may be set on the object at `path`. */
function exactlyOne(ctx: CheckContext, path: Path, obj: Record<string, unknown>, keys: string[], rule: string, what: string): void {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length === 1) return;
  const list = keys.map((k) => `\`${k}\``).join(", ");
  if (present.length === 0) {
    ctx.reporter.report("error", `${rule}.missing`, path, `${what} needs one of ${list}`);
  } else {
    ctx.reporter.report("error", `${rule}.conflict`, [...path, present[1]!], `${what} sets ${present.map((k) => `\`${k}\``).join(" and ")}; use exactly one of ${list}`, { key: true });
  }
}

/**
 * A provider that trusts every token its issuer signs (OIDC discovery, or a
 * JWKS the issuer also signs other clients' tokens with) must say which
 * audience is its own; a provider with its own secret or public key is its
 * own issuer.
 */
function requireAudience(ctx: CheckContext, base: Path, provider: { type: string; name: string; audience?: unknown; jwks?: unknown }): void {
  if (provider.audience !== undefined) return;
  if (provider.type !== "oidc" && provider.jwks === undefined) return;
  const source = provider.type === "oidc" ? "OIDC issuer" : "JWKS issuer";
  ctx.reporter.report(
    "error",
    "auth.audience.required",
    base,
    `${provider.type} provider ${JSON.stringify(provider.name)} has no \`audience\`: any token the ${source} issues to any client would be accepted`,
    { hint: "set `audience` to the value this gateway's tokens carry in `aud` (the API identifier or client id registered for it)" },
  );
}

export function checkAuth(ctx: CheckContext): void {
  const { config, reporter } = ctx;
  const keyOwners = new Map<string, string>();
  config.auth.forEach((provider, i) => {
    const base: Path = ["auth", i];
    const name = JSON.stringify(provider.name);
    if (provider.type === "apiKey") {
      const ids = new Set<string>();
      provider.keys.forEach((key, j) => {
        const path: Path = [...base, "keys", j];
        exactlyOne(ctx, path, key as Record<string, unknown>, ["sha256", "value"], "auth.key.secret", `key ${JSON.stringify(key.id)} of ${name}`);
        if (ids.has(key.id)) {
          reporter.report("error", "auth.key.id.duplicate", [...path, "id"], `auth provider ${name} has two keys with id ${JSON.stringify(key.id)}`);
        }
        ids.add(key.id);
        const fingerprint = key.sha256?.toLowerCase() ?? (key.value !== undefined && !ctx.isUnset([...path, "value"]) ? createHash("sha256").update(key.value).digest("hex") : undefined);
        if (fingerprint !== undefined) {
          const other = keyOwners.get(fingerprint);
          if (other !== undefined) {
            reporter.report("error", "auth.key.duplicate", [...path, key.sha256 !== undefined ? "sha256" : "value"], `key ${JSON.stringify(key.id)} is the same secret as key ${other}; each key must authenticate one consumer`);
          } else keyOwners.set(fingerprint, JSON.stringify(key.id));
        }
      });
      return;
    }
    requireAudience(ctx, base, provider);
    if (provider.type === "jwt") {
      exactlyOne(ctx, base, provider as unknown as Record<string, unknown>, ["secret", "publicKey", "jwks"], "auth.jwt.key", `jwt provider ${name}`);
      const hmac = provider.algorithms.filter((a) => HMAC_ALGORITHMS.has(a));
      const asymmetric = provider.algorithms.filter((a) => !HMAC_ALGORITHMS.has(a));
      if (provider.secret !== undefined && asymmetric.length > 0) {
        reporter.report("error", "auth.jwt.algorithm.mismatch", [...base, "algorithms"], `jwt provider ${name} verifies with a shared secret, which cannot check ${asymmetric.join(", ")}`, {
          hint: "with `secret`, list only HS256, HS384 or HS512",
        });
      }
      if (provider.secret === undefined && hmac.length > 0) {
        reporter.report("error", "auth.jwt.algorithm.mismatch", [...base, "algorithms"], `jwt provider ${name} allows ${hmac.join(", ")} without a \`secret\`: a public key used as an HMAC secret lets anyone forge tokens`, {
          hint: "HS* algorithms only with `secret`; public keys and JWKS take RS/PS/ES/EdDSA",
        });
      }
      if (provider.secret !== undefined && !ctx.isUnset([...base, "secret"]) && Buffer.byteLength(provider.secret) < 32) {
        reporter.report("warning", "auth.jwt.secret.weak", [...base, "secret"], `jwt provider ${name}: the HMAC secret is shorter than 32 bytes`);
      }
      return;
    }
    const hmac = (provider.algorithms ?? []).filter((a) => HMAC_ALGORITHMS.has(a));
    if (hmac.length > 0) {
      reporter.report("error", "auth.jwt.algorithm.mismatch", [...base, "algorithms"], `oidc provider ${name} allows ${hmac.join(", ")}; OIDC tokens are verified with the issuer's public keys`);
    }
  });

  config.server.adminAuth?.tokens.forEach((token, i) => {
    exactlyOne(ctx, ["server", "adminAuth", "tokens", i], token as Record<string, unknown>, ["value", "sha256"], "server.admin-token.secret", `admin token ${i + 1}`);
  });
}
