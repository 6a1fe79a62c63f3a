/**
 * Bounded values for what a client controls. A metric label takes values
 * from a finite set the config determines; a request method is anything an
 * HTTP/2 client writes in `:method` (HTTP/1.1 is limited to the parser's
 * list, which is still not the standard one).
 */

/** The methods of RFC 9110 and PATCH (RFC 5789). */
const STANDARD_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

/** The `method` label of a request: a standard method, or `OTHER`. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && STANDARD_METHODS.has(method) ? method : "OTHER";
}

/** Whether `method` is one of the standard methods (case-sensitive, as HTTP methods are). */
export function isStandardMethod(method: string | undefined): boolean {
  return method !== undefined && STANDARD_METHODS.has(method);
}
