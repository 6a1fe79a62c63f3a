/** Recognising secrets written into the file instead of taken from the environment. */
import { RUNTIME_PLACEHOLDERS } from "../config/kinds.js";

const REFERENCE = /\$(\$)?\{([^}]*)\}/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
/** Stands for a value taken from the environment. */
export const FROM_ENV = "\u0000";

/**
 * The text as the file gives it, with every `${VAR}` replaced by FROM_ENV
 * (a default, `${VAR:-text}`, is literal text written in the file) and every
 * escaped `$${...}` or runtime placeholder removed.
 */
export function literalText(text: string): string {
  return text.replace(REFERENCE, (match: string, escaped: string | undefined, body: string) => {
    if (escaped !== undefined) return "";
    const m = NAME_AND_DEFAULT.exec(body);
    if (m === null) return match;
    if (m[2] !== undefined) return m[2];
    return RUNTIME_PLACEHOLDERS.has(m[1]!) ? "" : FROM_ENV;
  });
}

/** An auth scheme word in front of a credential (`Bearer ${TOKEN}`) is not itself secret. */
const SCHEME = /^\s*(bearer|basic|token|apikey|api-key|key)\s+/i;

/** Whether a value of a secret field holds literal secret text (more than references and a scheme word). */
export function hasLiteralSecret(text: string): boolean {
  const literal = literalText(text).replace(SCHEME, "").split(FROM_ENV).join("").trim();
  return literal.length > 0;
}

/** Whether a URL-valued secret field (`redis://user:pass@host`) carries a literal password. */
export function urlHasLiteralPassword(text: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(literalText(text));
  if (m === null) return false;
  const colon = m[1]!.indexOf(":");
  if (colon === -1) return false;
  const password = m[1]!.slice(colon + 1).split(FROM_ENV).join("");
  return password.length > 0;
}

/** Well-known credential shapes: provider API keys, cloud keys, tokens, private keys. */
const KEY_SHAPES: readonly { name: string; re: RegExp }[] = [
  { name: "an Anthropic API key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/ },
  { name: "an OpenAI-style API key", re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/ },
  { name: "an AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "a GitHub token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { name: "a Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: "a Slack token", re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { name: "a JSON Web Token", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { name: "a private key", re: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ },
];

/** Bits per character of a string's character distribution. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * What kind of credential a literal looks like, or undefined. Besides the
 * known shapes: a run of 32+ token characters mixing upper case, lower case
 * and digits with high entropy (random keys; not hex hashes or UUIDs, which
 * have no upper case).
 */
export function credentialShape(text: string): string | undefined {
  const full = literalText(text);
  for (const shape of KEY_SHAPES) if (shape.re.test(full)) return shape.name;
  // Public keys and certificates are random-looking by nature and safe to commit.
  const literal = full.replace(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g, (block: string, label: string) => (label.includes("PRIVATE") ? block : ""));
  for (const m of literal.matchAll(/[A-Za-z0-9+_=-]{32,}/g)) {
    const run = m[0];
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) && entropy(run) >= 4.2) return "a random token";
  }
  return undefined;
}

/** Names of keys whose values are credentials, in free-form maps (plugin config, header edits). */
export const SECRET_KEY_NAME = /(secret|password|passwd|token|api[-_]?key|authorization|credential|private[-_]?key|cookie)/i;
