/** Request-path normalisation before matching (DESIGN.md 10, "Paths"). */

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const HEX = /^[0-9A-Fa-f]{2}$/;

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e // - . _ ~
  );
}

/** How strict path normalisation is (`server.paths`). */
export interface PathOptions {
  /** Accept `;` and `%3B` (many servers read `;` as a path parameter and drop what follows it in a segment). */
  readonly allowSemicolon: boolean;
}

const STRICT: PathOptions = { allowSemicolon: false };

/**
 * The canonical form of a request path, the one that is both matched and
 * forwarded: percent-encoded unreserved characters decoded, the hex of the
 * other escapes upper-cased, repeated slashes merged, `.` and `..` segments
 * removed (RFC 3986 5.2.4). Refused, since the gateway and the upstream
 * could read them as different paths: an encoded `/` or `\` (`%2F`, `%5C`),
 * a raw `\`, a NUL, and unless allowed a `;` or `%3B` (a path parameter to
 * Tomcat, Spring and others: `/internal;x/y` is `/internal/y` to them).
 */
export function normalizePath(raw: string, options: PathOptions = STRICT): NormalizedPath {
  if (raw.length === 0 || raw.charCodeAt(0) !== 0x2f) return { ok: false, reason: "the path must start with /" };
  if (isPlain(raw)) return { ok: true, path: raw };
  let decoded = "";
  let needsDotRemoval = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c) return { ok: false, reason: "the path contains a backslash" };
    if (c === 0) return { ok: false, reason: "the path contains a NUL byte" };
    if (c === 0x3b && !options.allowSemicolon) return { ok: false, reason: "the path contains a `;` (a path parameter to many servers; see server.paths.allowSemicolon)" };
    if (c === 0x2f && decoded.charCodeAt(decoded.length - 1) === 0x2f) continue; // merge repeated slashes
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { ok: false, reason: "the path has a malformed percent-escape" };
      const byte = parseInt(hex, 16);
      if (byte === 0x2f || byte === 0x5c) return { ok: false, reason: "the path contains an encoded slash or backslash" };
      if (byte === 0) return { ok: false, reason: "the path contains a NUL byte" };
      if (byte === 0x3b && !options.allowSemicolon) return { ok: false, reason: "the path contains an encoded `;` (see server.paths.allowSemicolon)" };
      if (isUnreserved(byte)) {
        decoded += String.fromCharCode(byte);
        if (byte === 0x2e) needsDotRemoval = true;
      } else decoded += "%" + hex.toUpperCase();
      i += 2;
      continue;
    }
    if (c === 0x2e) needsDotRemoval = true;
    decoded += raw[i];
  }
  return { ok: true, path: needsDotRemoval ? removeDotSegments(decoded) : decoded };
}

/** No `%`, `.`, `\`, `;`, NUL or `//`: nothing to decode, merge, remove or refuse (the common case). */
function isPlain(raw: string): boolean {
  let previous = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || c === 0x2e || c === 0x5c || c === 0x3b || c === 0 || (c === 0x2f && previous === 0x2f)) return false;
    previous = c;
  }
  return true;
}

/** RFC 3986 5.2.4, for an absolute path. */
export function removeDotSegments(path: string): string {
  const segments = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === ".") {
      if (last) out.push("");
    } else if (seg === "..") {
      out.pop();
      if (last) out.push("");
    } else out.push(seg);
  }
  return "/" + out.join("/");
}
