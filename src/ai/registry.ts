import type { Upstream } from "../config/types.js";
import { anthropicTranslator } from "./anthropic/index.js";
import { bedrockTranslator, signBedrockRequest } from "./bedrock/index.js";
import type { ChatTranslator } from "./types.js";

/** The translator between the OpenAI-compatible surface and an upstream type's own API (none for OpenAI-shaped types). */
export function translatorFor(type: string): ChatTranslator | null {
  if (type === "anthropic") return anthropicTranslator;
  if (type === "bedrock") return bedrockTranslator;
  return null;
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string | string[]>;
  body: Buffer;
  now: Date;
}

/** Headers that authenticate a translated request by signature (bedrock: SigV4 with the upstream's credentials). */
export function signRequest(def: Upstream, input: SignInput): Record<string, string> {
  if (def.type !== "bedrock") return {};
  const c = def.credentials;
  if (c?.accessKeyId === undefined || c.secretAccessKey === undefined) return {};
  const signed = signBedrockRequest({
    method: input.method,
    url: input.url,
    headers: input.headers,
    body: input.body,
    region: def.region ?? "us-east-1",
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }) },
    date: input.now,
  });
  const out: Record<string, string> = { authorization: signed.authorization, "x-amz-date": signed["x-amz-date"], "x-amz-content-sha256": signed["x-amz-content-sha256"] };
  if (signed["x-amz-security-token"] !== undefined) out["x-amz-security-token"] = signed["x-amz-security-token"];
  return out;
}
