/** The longest a client-supplied string may be where the gateway echoes it (a log line, an error message, a label). */
export const ECHO_MAX = 256;

/**
 * A client-supplied string as it may be echoed: unchanged up to `max`
 * characters, else its first `max` and a note of how many were left out.
 * Constant work beyond `max`: a 2 MB model name costs what a 256-char one does.
 */
export function clip(value: string, max: number = ECHO_MAX): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(+${value.length - max} chars)`;
}
