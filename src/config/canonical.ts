import { createHash } from "node:crypto";
import { formatDuration, parseDuration } from "./duration.js";
import { toPointer, type Path } from "./pointer.js";
import { Provenance, scrubList, scrubValues } from "./provenance.js";
import { isSensitiveName, redact } from "./redact.js";
import { gatewaySchema, resolveRef, type SchemaNode } from "./schema.js";
import { DESCEND, mapWithSchema } from "./schema-walk.js";
import type { GatewayConfig } from "./types.js";

export { isSensitiveName, redact, shortHash } from "./redact.js";

/** The canonical form: sorted keys, defaults filled, durations normalised, secrets redacted. */
export type CanonicalConfig = Readonly<Record<string, unknown>>;

/**
 * A digest of the full secrets a canonical form redacted, kept off its JSON:
 * the content hash covers it, so a changed secret always changes the hash
 * (the 8-digit digests printed could, rarely, collide).
 */
const SECRETS_DIGEST = Symbol("aigw.secretsDigest");

/** A `${VAR}` left as written (validate mode: CI has no secrets): the file's own text, no secret. */
const unresolved = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A map whose keys the user chooses and whose values are strings: header edits, header matches, collector headers. */
function isNamedStringMap(node: SchemaNode): boolean {
  if (node.properties !== undefined || typeof node.additionalProperties !== "object") return false;
  const values = resolveRef(node.additionalProperties);
  return values.type === "string" || values["x-secret"] === true;
}

/** An object the schema leaves open (a plugin's `config`): judged by its keys' names. */
function isUntyped(node: SchemaNode): boolean {
  return node.type === "object" && node.properties === undefined && node.additionalProperties === undefined && node.oneOf === undefined && node.anyOf === undefined;
}

/**
 * Builds the canonical form of a validated config (defaults already filled).
 * Redacted, as `<redacted:digest>`: every string that came from `${}`
 * (`secretValues` is interpolation's Provenance: it says where they are),
 * every `x-secret` field, and every string under a credential-like name
 * (`authorization`, `*token*`, `*key*`, ...) in a map whose keys the user
 * chooses (headers) or an object the schema leaves open (plugin configs).
 * Numbers and booleans from `${}` stay: they are limits and switches, which a
 * plan must show to judge risk.
 */
export function canonicalize(config: GatewayConfig, secretValues: ReadonlySet<string> = new Set()): CanonicalConfig {
  const fromEnv = secretValues instanceof Provenance ? secretValues.pointers : new Set<string>();
  // A plain set of values (no pointers) is searched for inside every string instead.
  const loose = secretValues instanceof Provenance ? [] : scrubList(secretValues);
  const digests: string[] = [];
  const secret = (value: string, path: Path): string => {
    digests.push(`${toPointer(path)}\u0000${createHash("sha256").update(value).digest("hex")}`);
    return redact(value);
  };
  const plain = (value: string): string => (loose.length === 0 ? value : scrubValues(value, loose));

  /** An open object: strings under a credential-like key (at any depth) or from `${}` are redacted. */
  /**
   * A string that must not be printed: anything `${}` produced (even part of
   * it), else a secret-looking one, unless it is still the file's own
   * template (`Basic ${X}` with X unset, in CI), which holds no secret and
   * which plan must see as a template to compare it with a running value.
   */
  const guarded = (value: string, path: Path, sensitive: boolean): string => {
    if (fromEnv.has(toPointer(path))) return secret(value, path);
    if (!sensitive || unresolved.test(value)) return plain(value);
    return secret(value, path);
  };

  const openValue = (value: unknown, path: Path, sensitive: boolean): unknown => {
    if (typeof value === "string") return guarded(value, path, sensitive);
    if (Array.isArray(value)) return value.map((v, i) => openValue(v, [...path, i], sensitive));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = openValue(v, [...path, k], sensitive || isSensitiveName(k));
      return out;
    }
    return value;
  };

  const mapped = mapWithSchema(config, gatewaySchema(), (node, refs, value, path) => {
    if (typeof value === "string") {
      if (node["x-secret"] === true || fromEnv.has(toPointer(path))) return guarded(value, path, node["x-secret"] === true);
      if (refs.includes("duration")) {
        const ms = parseDuration(value);
        return ms === undefined ? value : formatDuration(ms);
      }
      return plain(value);
    }
    if (isObject(value) && isNamedStringMap(node)) {
      const valueSchema = resolveRef(node.additionalProperties as SchemaNode);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const at = [...path, k];
        out[k] = typeof v !== "string" ? v : guarded(v, at, valueSchema["x-secret"] === true || isSensitiveName(k));
      }
      return out;
    }
    if (isObject(value) && isUntyped(node)) return openValue(value, path, false);
    return DESCEND;
  });
  const canonical = sortKeys(mapped) as Record<string, unknown>;
  if (digests.length > 0) Object.defineProperty(canonical, SECRETS_DIGEST, { value: createHash("sha256").update(digests.sort().join("\n")).digest("hex"), enumerable: false });
  return canonical;
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

/** `sha256:<hex>` of the canonical JSON (and of the secrets it redacts: see SECRETS_DIGEST). */
export function hashCanonical(canonical: CanonicalConfig): string {
  const hash = createHash("sha256").update(JSON.stringify(canonical));
  const secrets = (canonical as Record<symbol, unknown>)[SECRETS_DIGEST];
  if (typeof secrets === "string") hash.update(`\u0000${secrets}`);
  return "sha256:" + hash.digest("hex");
}
