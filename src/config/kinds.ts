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

/** Built-in plugins that run before auth (DESIGN.md 11; see plugins/order.ts). */
export const ACCESS_PLUGINS: ReadonlySet<string> = new Set(["cors", "ip-allow", "ip-deny"]);

/** Built-in plugins that only make sense on AI routes (they read prompts and completions). */
export const AI_ONLY_PLUGINS: ReadonlySet<string> = new Set(["prompt-guard", "response-guard", "max-tokens"]);

export const HMAC_ALGORITHMS: ReadonlySet<string> = new Set(["HS256", "HS384", "HS512"]);

/** The targets of an upstream: as declared, or a bedrock region's runtime endpoint (the one target, weight 1). */
export function effectiveTargets(def: { type: string; region?: string; targets?: { url: string; weight: number }[] }): { url: string; weight: number }[] {
  if (def.targets !== undefined && def.targets.length > 0) return def.targets;
  if (def.type === "bedrock" && def.region !== undefined) return [{ url: `https://bedrock-runtime.${def.region}.amazonaws.com`, weight: 1 }];
  return [];
}

/**
 * `${consumer}`, `${route}`, `${requestId}`: placeholders filled per request
 * in header and plugin values (DESIGN.md 11), never read from the environment.
 */
export const RUNTIME_PLACEHOLDERS: ReadonlySet<string> = new Set(["consumer", "route", "requestId"]);
