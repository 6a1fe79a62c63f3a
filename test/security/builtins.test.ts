import { createHash } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Issue 23, item 13: the built-in `/v1/models` and `/v1/usage` go through
 * the gateway-level plugins and rate limits like every other request
 * (before, they were answered before any of them ran).
 */

const KEY = "sk-builtins-key-0000000001";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

const base = (extra: string) => `version: 1
auth:
  - { name: keys, type: apiKey, keys: [{ id: a, consumer: team, sha256: "${sha(KEY)}" }] }
consumers:
  - { name: team }
rateLimits:
  - { name: global, algorithm: fixed_window, limit: 3, window: 1h, key: global }
upstreams:
  - { name: mock, type: mock, models: [mock-1] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], upstream: mock }
${extra}`;

let limited: TestGateway;
let denied: TestGateway;

beforeAll(async () => {
  limited = await startTestGateway(
    base(`gateway:
  rateLimits: [global]
  plugins: [{ name: response-headers, config: { set: { x-gateway-plugin: "yes" } } }]
`),
  );
  denied = await startTestGateway(
    base(`gateway:
  plugins: [{ name: ip-deny, config: { cidrs: [127.0.0.0/8, "::1"] } }]
`),
  );
});

afterAll(async () => {
  await Promise.all([limited?.close(), denied?.close()]);
});

const get = (gw: TestGateway, path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });

describe("built-in endpoints go through the gateway's plugins and limits", () => {
  it("gateway.rateLimits count /v1/models and /v1/usage, and answer 429 past the limit", async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${limited.url}/v1`, maxRetries: 0 });
    const first = await client.models.list().withResponse();
    expect(first.response.headers.get("x-gateway-plugin")).toBe("yes");
    expect(first.response.headers.get("ratelimit")).toMatch(/"global";r=2/);
    // Auth comes before limits: a wrong key answers 401 and spends nothing.
    expect((await fetch(`${limited.url}/v1/usage`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await get(limited, "/v1/usage")).status).toBe(200);
    expect((await get(limited, "/v1/models")).status).toBe(200);
    const over = await get(limited, "/v1/usage");
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    expect(await client.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("a gateway ip-deny refuses them too", async () => {
    for (const path of ["/v1/models", "/v1/usage"]) {
      const res = await get(denied, path);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "ip_denied" } });
    }
  });
});
