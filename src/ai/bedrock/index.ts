import type { ChatTranslator } from "../types.js";
import { bedrockError } from "./errors.js";
import { converseRequest } from "./request.js";
import { converseResponse, converseUsage } from "./response.js";
import { signRequest, type SignedHeaders, type SignInput } from "./sigv4.js";
import { ConverseStreamTranslator } from "./stream.js";

export type { AwsCredentials, SignedHeaders, SignInput } from "./sigv4.js";
export { EventStreamDecoder, EventStreamError, type EventStreamMessage } from "./event-stream.js";

/** OpenAI Chat Completions ↔ Bedrock Converse / ConverseStream. */
export const bedrockTranslator: ChatTranslator = {
  request: converseRequest,
  response: converseResponse,
  stream: (ctx) => new ConverseStreamTranslator(ctx),
  error: bedrockError,
  usage: converseUsage,
};

/** The default Bedrock Runtime endpoint of a region. */
export function bedrockEndpoint(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/**
 * SigV4-signs a Bedrock Runtime request (signing name `bedrock`). `url` is
 * the full URL the request goes to (`https://bedrock-runtime.us-east-1.amazonaws.com/model/…%3A0/converse`,
 * or a test endpoint `http://127.0.0.1:PORT/…`: the host signed is the URL's
 * host:port unless `headers.host` says otherwise). Returns the headers to add.
 */
export function signBedrockRequest(input: Omit<SignInput, "service">): SignedHeaders {
  return signRequest({ ...input, service: "bedrock" });
}
