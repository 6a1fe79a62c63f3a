import type { IncomingHttpHeaders } from "node:http";
import type { HeaderRules } from "../config/types.js";

/** RFC 9110 7.6.1 connection-specific headers, never forwarded in either direction. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

export type HeaderMap = Record<string, string | string[]>;

/** Header names listed in `Connection` (also hop-by-hop). */
function connectionListed(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined || value === "keep-alive" || value === "close" || value === "Keep-Alive") return null;
  const text = Array.isArray(value) ? value.join(",") : value;
  const names = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0 && s !== "close" && s !== "keep-alive");
  return names.length === 0 ? null : new Set(names);
}

/**
 * Copies end-to-end headers: drops hop-by-hop ones, those named in
 * `Connection`, HTTP/2 pseudo-headers, and any name in `drop`.
 */
export function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, drop?: ReadonlySet<string>): HeaderMap {
  const listed = connectionListed(headers.connection);
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) || name.charCodeAt(0) === 58 /* : */) continue;
    if (listed !== null && listed.has(name)) continue;
    if (drop !== undefined && drop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Applies `set`, `add`, `remove` (in that order) to a header map; returns
 * the map. A header there to remove makes a copy without it rather than a
 * `delete` (which turns the object into a slow dictionary-mode one).
 */
export function applyHeaderRules(headers: HeaderMap, rules: HeaderRules | null): HeaderMap {
  if (rules === null) return headers;
  if (rules.set !== undefined) for (const name in rules.set) headers[name.toLowerCase()] = rules.set[name]!;
  if (rules.add !== undefined) {
    for (const name in rules.add) {
      const key = name.toLowerCase();
      const current = headers[key];
      const value = rules.add[name]!;
      headers[key] = current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value];
    }
  }
  if (rules.remove === undefined || !rules.remove.some((name) => headers[name.toLowerCase()] !== undefined)) return headers;
  return withoutHeaders(headers, new Set(rules.remove.map((name) => name.toLowerCase())));
}

/**
 * A copy of `headers` without the names in `drop` (lower case). Used instead
 * of `delete`, which turns a header map into a dictionary-mode object that
 * every later read, and node's `writeHead`, walks slowly.
 */
export function withoutHeaders<H extends Record<string, unknown>>(headers: H, drop: ReadonlySet<string>): H {
  const out: Record<string, unknown> = {};
  for (const name in headers) if (!drop.has(name)) out[name] = headers[name];
  return out as H;
}

export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
