import { createHash } from "node:crypto";
import { formatDuration, parseDuration } from "./duration.js";
import { gatewaySchema } from "./schema.js";
import { DESCEND, mapWithSchema } from "./schema-walk.js";
import type { GatewayConfig } from "./types.js";

/** The canonical form: sorted keys, defaults filled, durations normalised, secrets redacted. */
export type CanonicalConfig = Readonly<Record<string, unknown>>;

export function shortHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}

/** How a secret prints: `<redacted:1a2b3c4d>`, so a changed secret shows as a change and never as text. */
export function redact(secret: string): string {
  return `<redacted:${shortHash(secret)}>`;
}

const unresolved = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/;

/**
 * Builds the canonical form of a validated config (defaults already filled).
 * `secretValues` are values of secret-looking variables: redacted wherever
 * they appear, not only in fields the schema marks as secret.
 */
export function canonicalize(config: GatewayConfig, secretValues: ReadonlySet<string> = new Set()): CanonicalConfig {
  const secrets = [...secretValues].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const mapped = mapWithSchema(config, gatewaySchema(), (node, refs, value) => {
    if (typeof value !== "string") return DESCEND;
    if (node["x-secret"] === true) return unresolved.test(value) ? value : redact(value);
    if (refs.includes("duration")) {
      const ms = parseDuration(value);
      return ms === undefined ? value : formatDuration(ms);
    }
    return scrub(value, secrets);
  });
  return sortKeys(mapped) as CanonicalConfig;
}

function scrub(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(redact(s));
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** `sha256:<hex>` of the canonical JSON. */
export function hashCanonical(canonical: CanonicalConfig): string {
  return "sha256:" + createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
