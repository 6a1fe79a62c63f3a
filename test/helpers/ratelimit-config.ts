import { createHash } from "node:crypto";

/** The one API key of the rate-limit configs below (consumer team-a). */
export const KEY = "sk-rate-limit-test-key-0001";
const sha = createHash("sha256").update(KEY).digest("hex");

export const RPM = `  - { name: rpm, algorithm: sliding_window, limit: 30, window: 1m, key: consumer }`;
export const TPM = `  - { name: tpm, algorithm: sliding_window, limit: 1000, window: 1m, key: consumer, cost: tokens }`;

export interface RateLimitConfig {
  /** The fake OpenAI upstream. */
  upstreamUrl: string;
  redis?: { prefix: string; onError?: "allow" | "deny"; timeoutMs?: number };
  /** YAML list items under `rateLimits:`. */
  policies: string;
  /** Policy names on the route and on consumer team-a. */
  route?: string;
  consumer?: string;
}

/** A gateway with one authenticated chat route and the given policies (Redis state when `redis` is set, from ${REDIS_URL}). */
export function rateLimitConfig(options: RateLimitConfig): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
${options.redis === undefined ? "" : `state:\n  redis: { url: "\${REDIS_URL}", keyPrefix: "${options.redis.prefix}", onError: ${options.redis.onError ?? "allow"}, timeoutMs: ${options.redis.timeoutMs ?? 250} }`}
observability:
  logs: { accessLog: false }
auth:
  - name: keys
    type: apiKey
    keys: [{ id: k1, consumer: team-a, sha256: "${sha}" }]
consumers:
  - { name: team-a, rateLimits: [${options.consumer ?? ""}] }
rateLimits:
${options.policies}
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${options.upstreamUrl}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: openai, rateLimits: [${options.route ?? ""}] }
`;
}

const chatBody = (stream = false) =>
  JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], max_tokens: 20, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });

/** One chat call as team-a, its body read (a clone stays readable). */
export async function chat(url: string, stream = false): Promise<Response> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: chatBody(stream) });
  await res.clone().text();
  return res;
}
