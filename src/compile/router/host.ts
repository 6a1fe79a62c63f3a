/** Host patterns: exact, `*.suffix`, `prefix.*`, `*` (Envoy's virtual-host domains). */

export interface HostMatcher {
  readonly pattern: string;
  test(host: string): boolean;
}

export function compileHost(pattern: string): HostMatcher {
  const p = pattern.toLowerCase();
  if (p === "*") return { pattern, test: () => true };
  if (p.startsWith("*.")) {
    const suffix = p.slice(1);
    return { pattern, test: (h) => h.length > suffix.length && h.endsWith(suffix) };
  }
  if (p.endsWith(".*")) {
    const prefix = p.slice(0, -1);
    return { pattern, test: (h) => h.length > prefix.length && h.startsWith(prefix) };
  }
  return { pattern, test: (h) => h === p };
}

/** `Example.COM:8080` → `example.com`; `[::1]:80` → `::1`. */
export function normalizeHost(value: string | undefined): string {
  if (value === undefined || value === "") return "";
  let host = value.toLowerCase();
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(":");
  if (colon !== -1 && host.indexOf(":", colon + 1) === -1) host = host.slice(0, colon);
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
