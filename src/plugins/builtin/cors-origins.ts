/**
 * Origin patterns that admit any web site: `*`, or a pattern whose host is
 * all wildcard (`https://*`, `*://*:8443`). With credentials these would
 * let every site act as the signed-in user, so the `cors` plugin never
 * sends `Access-Control-Allow-Credentials` for an origin only they admit,
 * and lint reports them.
 */
export function isAnyOrigin(pattern: string): boolean {
  const rest = pattern.replace(/^[^:/]*:\/\//, "");
  const host = rest.replace(/:[^:]*$/, "");
  return /^\*+$/.test(host);
}

/**
 * `null` is the origin of sandboxed frames, `data:` and `file:` documents:
 * any site can send it, so allowing it with credentials is allowing anyone.
 */
export function isNullOrigin(pattern: string): boolean {
  return pattern.trim().toLowerCase() === "null";
}
