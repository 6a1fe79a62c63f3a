import type { Upstream } from "../config/types.js";
import type { ChatTranslator } from "./types.js";

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string | string[]>;
  body: Buffer;
  now: Date;
}

/**
 * The translators between the OpenAI-compatible surface and the upstream
 * types of one snapshot, loaded with it (`loadTranslators`): a config with
 * no bedrock upstream never loads the AWS signing and event-stream code.
 */
export interface Translators {
  /** The translator of an upstream type; null for OpenAI-shaped types (openai, ollama, mock) and plain http. */
  for(type: string): ChatTranslator | null;
  /** Headers that authenticate a translated request by signature (bedrock: SigV4 with the upstream's credentials); none for other types. */
  sign(def: Upstream, input: SignInput): Record<string, string>;
}

type BedrockModule = typeof import("./bedrock/index.js");

/** Loads the translators of the given upstream types, and only those. */
export async function loadTranslators(types: ReadonlySet<string>): Promise<Translators> {
  const anthropic = types.has("anthropic") ? (await import("./anthropic/index.js")).anthropicTranslator : null;
  const bedrock = types.has("bedrock") ? await import("./bedrock/index.js") : null;
  const loaded = (type: string, translator: ChatTranslator | null): ChatTranslator => {
    // Asking for a type the snapshot does not have is a bug in the caller, not a config problem.
    if (translator === null) throw new Error(`the ${type} translator was not loaded for this snapshot`);
    return translator;
  };
  return {
    for(type) {
      if (type === "anthropic") return loaded(type, anthropic);
      if (type === "bedrock") return loaded(type, bedrock?.bedrockTranslator ?? null);
      return null;
    },
    sign(def, input) {
      return def.type === "bedrock" && bedrock !== null ? signBedrock(bedrock, def, input) : {};
    },
  };
}

function signBedrock(bedrock: BedrockModule, def: Upstream, input: SignInput): Record<string, string> {
  const c = def.credentials;
  // `region` is required of bedrock upstreams by the semantic check; without keys the request goes unsigned.
  if (c?.accessKeyId === undefined || c.secretAccessKey === undefined || def.region === undefined) return {};
  const signed = bedrock.signBedrockRequest({
    method: input.method,
    url: input.url,
    headers: input.headers,
    body: input.body,
    region: def.region,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }) },
    date: input.now,
  });
  const out: Record<string, string> = { authorization: signed.authorization, "x-amz-date": signed["x-amz-date"], "x-amz-content-sha256": signed["x-amz-content-sha256"] };
  if (signed["x-amz-security-token"] !== undefined) out["x-amz-security-token"] = signed["x-amz-security-token"];
  return out;
}

