/** Fixed vocabularies of the config that code outside the schema needs. */

export const AI_UPSTREAM_TYPES: ReadonlySet<string> = new Set(["openai", "anthropic", "ollama", "bedrock", "mock"]);

export function isAiUpstreamType(type: string): boolean {
  return AI_UPSTREAM_TYPES.has(type);
}

export const BUILTIN_PLUGINS: readonly string[] = [
  "request-headers",
  "response-headers",
  "cors",
  "ip-allow",
  "ip-deny",
  "required-headers",
  "request-size",
  "json-schema",
  "prompt-guard",
  "response-guard",
  "max-tokens",
];

export const HMAC_ALGORITHMS: ReadonlySet<string> = new Set(["HS256", "HS384", "HS512"]);
