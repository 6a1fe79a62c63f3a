import { HttpError } from "../../errors/http.js";
import { aiKind } from "../../pipeline/ai/kind.js";
import type { BuiltinPlugin } from "../instance.js";

interface MaxTokensConfig {
  limit: number;
  policy?: "clamp" | "reject";
  consumers?: Record<string, number>;
}

const FIELDS = ["max_tokens", "max_completion_tokens"] as const;

/**
 * `max-tokens` (request phase, AI routes): caps what one generation request
 * may ask for. The limit is `consumers[<consumer>]` for the caller (its
 * consumer's name, or its authenticated subject) and `limit` for everyone
 * else. Both `max_tokens` and `max_completion_tokens` are held to it:
 * `clamp` lowers a larger value, `reject` answers 400
 * `max_tokens_exceeded`. A request that names neither gets the limit
 * (`max_completion_tokens` on /v1/chat/completions, which the gateway maps
 * for Ollama, Anthropic and Bedrock; `max_tokens` elsewhere), so the cap
 * holds either way. Only generation requests (with `messages` or `prompt`)
 * are touched.
 */
export const maxTokens: BuiltinPlugin = {
  name: "max-tokens",
  needsBody: true,
  create(raw) {
    const config = raw as unknown as MaxTokensConfig;
    const perConsumer = new Map(Object.entries(config.consumers ?? {}));
    const reject = config.policy === "reject";
    return {
      request(call) {
        const body = call.ctx.json;
        if (body === null || (body.messages === undefined && body.prompt === undefined)) return;
        const who = call.consumer;
        const limit = (who === null ? undefined : perConsumer.get(who)) ?? config.limit;
        let named = false;
        for (const field of FIELDS) {
          const value = body[field];
          if (value === undefined || value === null) continue;
          named = true;
          if (typeof value !== "number" || value <= limit) continue;
          if (reject) {
            throw new HttpError("max_tokens_exceeded", `${field} ${value} is over the limit of ${limit}${who === null ? "" : ` for ${who}`}`);
          }
          body[field] = limit;
          call.markBodyChanged();
        }
        if (!named) {
          body[aiKind(call.ctx.path) === "chat" ? "max_completion_tokens" : "max_tokens"] = limit;
          call.markBodyChanged();
        }
      },
    };
  },
};
