import { createHash } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeAnthropic } from "../helpers/fake-anthropic.js";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import type { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const KEY = "sk-client-key-for-team-a-000001";
const KEY_B = "sk-client-key-for-team-b-000002";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

let openaiUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let brokenOpenAI: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  openaiUp = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
  anthropicUp = await fakeAnthropic();
  brokenOpenAI = await fakeOpenAI();
  brokenOpenAI.handler = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "overloaded", type: "server_error", param: null, code: "server_is_overloaded" } }));
  };
  gw = await startTestGateway(`version: 1
auth:
  - name: keys
    type: apiKey
    keys:
      - { id: a, consumer: team-a, sha256: "${sha(KEY)}" }
      - { id: b, consumer: team-b, sha256: "${sha(KEY_B)}" }
consumers:
  - { name: team-a }
  - { name: team-b, budget: { usd: 0.001, period: day } }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${openaiUp.url}" }], credentials: { apiKey: upstream-openai-key }, models: [gpt-4o, gpt-4o-mini, text-embedding-3-small] }
  - { name: claude, type: anthropic, targets: [{ url: "${anthropicUp.url}" }], credentials: { apiKey: upstream-anthropic-key }, models: [claude-sonnet-4-6] }
  - { name: flaky-openai, type: openai, targets: [{ url: "${brokenOpenAI.url}" }], retries: { attempts: 0 } }
routes:
  - { name: gpt, match: { path: /v1/chat/completions, model: "gpt-*" }, auth: [keys], upstream: openai }
  - { name: claude, match: { path: /v1/chat/completions, model: "claude-*" }, auth: [keys], upstream: claude }
  - { name: resilient, match: { path: /v1/chat/completions, model: "resilient-*" }, auth: [keys], upstream: flaky-openai, fallback: [claude] }
  - { name: cached, match: { path: /v1/chat/completions, model: "cached-*" }, auth: [keys], upstream: openai, cache: { ttl: 1m } }
  - { name: embeddings, match: { path: /v1/embeddings }, auth: [keys], upstream: openai }
  - { name: messages, match: { path: /v1/messages }, auth: [keys], upstream: claude }
pricing:
  - { model: "gpt-4o*", input: 2.5, output: 10 }
  - { model: "claude-*", input: 3, output: 15 }
  - { model: "cached-*", input: 1, output: 1 }
`);
  openaiUp.handler = wrapEmbeddings(openaiUp.handler);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([openaiUp?.close(), anthropicUp?.close(), brokenOpenAI?.close()]);
});

/** The fake OpenAI also answers /v1/embeddings in the recorded shape. */
function wrapEmbeddings(inner: FakeUpstream["handler"]): FakeUpstream["handler"] {
  return (req, res, body) => {
    if (req.url === "/v1/embeddings") {
      const input = (JSON.parse(body) as { input: string[] }).input;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: input.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3] })), model: "text-embedding-3-small", usage: { prompt_tokens: 8, total_tokens: 8 } }));
      return;
    }
    return inner(req, res, body);
  };
}

const openai = (key = KEY) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

describe("the official openai SDK against the gateway", () => {
  it("chat (plain), routed by model to the OpenAI upstream, with the gateway's own credentials upstream", async () => {
    const res = await openai().chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
    expect(res.choices[0]!.message.content).toBe("Hello there.");
    expect(res.usage?.total_tokens).toBe(120);
    expect(openaiUp.last.headers.authorization).toBe("Bearer upstream-openai-key");
  });

  it("chat (streaming) from OpenAI, without a usage chunk unless asked", async () => {
    const stream = await openai().chat.completions.create({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "Hi" }] });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.choices.length).toBeGreaterThan(0);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Hello there.");
    expect(chunks).toBe(4);
    expect(JSON.parse(openaiUp.last.body).stream_options).toEqual({ include_usage: true });
  });

  it("asks for the usage chunk last, with no key like stream_options left beside it (case-insensitive parsers keep the last)", async () => {
    const body = { model: "gpt-4o", stream: true, Stream_Options: { include_usage: false }, messages: [{ role: "user", content: "Hi" }] };
    const stream = await openai().chat.completions.create(body as unknown as Parameters<ReturnType<typeof openai>["chat"]["completions"]["create"]>[0] & { stream: true });
    for await (const _chunk of stream) {
      // drained
    }
    const sent = JSON.parse(openaiUp.last.body) as Record<string, unknown>;
    expect(Object.keys(sent).filter((k) => k.toLowerCase() === "stream_options")).toEqual(["stream_options"]);
    expect(Object.keys(sent).at(-1)).toBe("stream_options");
    expect(sent.stream_options).toEqual({ include_usage: true });
    // The plain case: the client's bytes with the member added at the end.
    const plain = await openai().chat.completions.create({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "Hi" }] });
    for await (const _chunk of plain) {
      // drained
    }
    expect(Object.keys(JSON.parse(openaiUp.last.body) as object).at(-1)).toBe("stream_options");
  });

  it("chat (plain) translated to Anthropic, tool calls included", async () => {
    const res = await openai().chat.completions.create({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: "Where is order A-1042?" }],
      tools: [{ type: "function", function: { name: "lookup_order", parameters: { type: "object", properties: { order_id: { type: "string" } } } } }],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    expect(res.choices[0]!.message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1042"}' } });
    const sent = JSON.parse(anthropicUp.last.body) as Record<string, unknown>;
    expect(sent.max_tokens).toBe(4096);
    expect(anthropicUp.last.headers["x-api-key"]).toBe("upstream-anthropic-key");
    expect(anthropicUp.last.headers["anthropic-version"]).toBe("2023-06-01");
    expect(anthropicUp.last.headers.authorization).toBeUndefined();
  });

  it("chat (streaming) translated from Anthropic's SSE event sequence, tool-call deltas included", async () => {
    const stream = await openai().chat.completions.create({
      model: "claude-sonnet-4-6",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Where is order A-1042?" }],
      tools: [{ type: "function", function: { name: "lookup_order", parameters: { type: "object" } } }],
    });
    let args = "";
    let finish: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) args += tc.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(JSON.parse(args)).toEqual({ order_id: "A-1042" });
    expect(finish).toBe("tool_calls");
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it("embeddings", async () => {
    const res = await openai().embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    expect(res.data).toHaveLength(2);
    expect(res.usage.prompt_tokens).toBe(8);
  });

  it("models.list: the upstreams' models that some route serves", async () => {
    const ids: string[] = [];
    for await (const m of openai().models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(["claude-sonnet-4-6", "gpt-4o", "gpt-4o-mini", "text-embedding-3-small"].sort());
  });

  it("an unknown model is a 404 in OpenAI's shape", async () => {
    const err = await openai()
      .chat.completions.create({ model: "llama-3", messages: [{ role: "user", content: "Hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("a failing OpenAI upstream falls back to Anthropic with a correct OpenAI-shaped answer", async () => {
    const res = await openai().chat.completions.create({ model: "resilient-1", messages: [{ role: "user", content: "Hi" }] });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]!.message.role).toBe("assistant");
    expect(brokenOpenAI.requests.length).toBeGreaterThan(0);
  });
});

describe("the official @anthropic-ai/sdk through native passthrough (/v1/messages)", () => {
  const anthropic = (key = KEY) => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });

  it("plain and streaming, authenticated, metered", async () => {
    const before = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { requests: number; inputTokens: number };
    const msg = await anthropic().messages.create({ model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    expect(msg.type).toBe("message");
    expect(anthropicUp.last.headers["x-api-key"]).toBe("upstream-anthropic-key");
    expect(anthropicUp.last.headers.authorization).toBeUndefined();
    const stream = anthropic().messages.stream({ model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("end_turn");
    const after = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { requests: number; inputTokens: number };
    expect(after.requests - before.requests).toBe(2);
    expect(after.inputTokens - before.inputTokens).toBe(64 + 1490 + 512);
  });

  it("refuses a caller without credentials", async () => {
    const err = await new Anthropic({ apiKey: "sk-wrong", baseURL: gw.url, maxRetries: 0 }).messages.create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe("budgets", () => {
  it("stop a consumer at the request after the one that reached the budget, in OpenAI's shape", async () => {
    // Each gpt-4o call: 100 × 2.5 + 20 × 10 = 450 per 1M → $0.00045; the budget is $0.001.
    const client = openai(KEY_B);
    const results: string[] = [];
    for (let i = 0; i < 4; i++) {
      results.push(
        await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }).then(
          () => "ok",
          (e: { status?: number; code?: string }) => `${e.status} ${e.code}`,
        ),
      );
    }
    expect(results).toEqual(["ok", "ok", "ok", "429 insufficient_quota"]);
    const usage = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY_B}` } })).json()) as Record<string, unknown>;
    expect(usage).toMatchObject({ consumer: "team-b", period: "day", requests: 3, inputTokens: 300, outputTokens: 60, budgetUsd: 0.001 });
    expect(usage.costUsd).toBeCloseTo(0.00135, 8);
  });
});

describe("cache", () => {
  it("serves the second identical deterministic request without the upstream; a streamed hit replays as SSE", async () => {
    const body = { model: "cached-1", temperature: 0, messages: [{ role: "user", content: "cache me" }] };
    const seen = openaiUp.requests.length;
    const first = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(first.headers.get("x-aigw-cache")).toBe("miss");
    const firstBody = await first.json();
    const second = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(second.headers.get("x-aigw-cache")).toBe("hit");
    expect(await second.json()).toEqual(firstBody);
    expect(openaiUp.requests.length).toBe(seen + 1);
    const stream = await openai().chat.completions.create({ model: body.model, temperature: 0, messages: [{ role: "user", content: "cache me" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello there.");
    expect(openaiUp.requests.length).toBe(seen + 1);
    const sampled = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify({ ...body, temperature: 0.7 }) });
    expect(sampled.headers.get("x-aigw-cache")).toBe("miss");
    expect(openaiUp.requests.length).toBe(seen + 2);
  });
});

describe("cost headers and metrics", () => {
  it("sends x-aigw-cost-usd and counts tokens and cost", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }) });
    expect(res.headers.get("x-aigw-cost-usd")).toBe("0.00045");
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_tokens_total\{type="input",model="gpt-4o\*"\} \d+/);
    expect(metrics).toMatch(/aigw_cost_usd_total\{model="gpt-4o\*"\} [0-9.e-]+/);
  });
});
