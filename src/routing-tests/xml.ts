/**
 * XML-escapes text for an attribute or element: the five predefined
 * entities, and characters XML 1.0 cannot carry at all (control characters
 * other than tab, newline and carriage return; lone surrogates) dropped.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
