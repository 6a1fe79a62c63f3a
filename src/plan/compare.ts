/**
 * Equality over canonical configs as `diff` and `plan` see it.
 *
 * A value that still holds an unresolved `${VAR}` (validate mode: CI has no
 * secrets) is not known, so it equals any value it could stand for: the
 * template is read as a pattern in which each `${...}` matches anything.
 * `${OPENAI_API_KEY}` thus equals `<redacted:1a2b3c4d>` from a running
 * gateway, and `https://${HOST}/v1` equals `https://api.example.com/v1`
 * and `<redacted:…>` (a value built from `${}` is redacted whole).
 * Two templates are compared as text (a changed variable name is a change).
 * Two different `<redacted:…>` values are a change: the secret changed.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

const TEMPLATE = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/;
const TEMPLATE_ALL = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/g;
const REDACTED = /<redacted(?::[0-9a-f]{8})?>/;
const WHOLLY_REDACTED = /^<redacted(?::[0-9a-f]{8})?>$/;

/**
 * Lists whose order carries no meaning, by their key: compared as sets.
 * Any other list (`fallback`, `targets`, `plugins`, ...) is ordered.
 */
const UNORDERED: ReadonlySet<string> = new Set([
  "methods",
  "auth",
  "scopes",
  "models",
  "model",
  "redact",
  "on",
  "algorithms",
  "audience",
  "remove",
  "rateLimits",
  "trustProxy",
  "origins",
  "cidrs",
  "detectors",
]);

export function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function hasTemplate(value: string): boolean {
  return TEMPLATE.test(value);
}

export function isRedacted(value: unknown): boolean {
  return typeof value === "string" && REDACTED.test(value);
}

function templateMatches(template: string, value: string): boolean {
  const parts = template.split(TEMPLATE_ALL).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${parts.join("[\\s\\S]*")}$`).test(value);
}

function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a === "string" && hasTemplate(a);
  const tb = typeof b === "string" && hasTemplate(b);
  if (ta === tb) return false;
  const [template, other] = ta ? [a as string, b] : [b as string, a];
  if (typeof other !== "string" && typeof other !== "number" && typeof other !== "boolean") return false;
  if (typeof other === "string" && WHOLLY_REDACTED.test(other)) return true;
  return templateMatches(template, String(other));
}

/** Whether a list under `key` is compared as a set. */
export function isUnordered(key: string | undefined): boolean {
  return key !== undefined && UNORDERED.has(key);
}

/** Deep equality of canonical values, templates as patterns, unordered lists as sets. */
export function valuesEqual(a: unknown, b: unknown, key?: string): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (isUnordered(key) && a.every((x) => !isPlainObject(x)) && b.every((x) => !isPlainObject(x))) {
      const left = [...b];
      for (const x of a) {
        const i = left.findIndex((y) => valuesEqual(x, y));
        if (i === -1) return false;
        left.splice(i, 1);
      }
      return true;
    }
    return a.every((x, i) => valuesEqual(x, b[i], key));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!valuesEqual(a[k], b[k], k)) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b) || isPlainObject(a) || isPlainObject(b)) return false;
  return scalarEqual(a, b);
}

/** `a.b`, `a["x.y"]`, `a[0]`: paths as a YAML reader writes them. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const plain = /^[A-Za-z_$][A-Za-z0-9_-]*$/.test(key);
  if (!plain) return `${base}[${JSON.stringify(key)}]`;
  return base === "" ? key : `${base}.${key}`;
}

/** Items of a list that are not in the other (set difference, templates as patterns). */
export function listMinus(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  return a.filter((x) => !b.some((y) => valuesEqual(x, y)));
}
