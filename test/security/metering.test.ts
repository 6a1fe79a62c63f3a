import { createHash } from "node:crypto";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream, closedPort } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { accessLine } from "../helpers/access-line.js";

/**
 * Issue 23, item 1: every request that reaches an upstream is metered
 * exactly once, however the exchange ends. Each case uses its own consumer
 * so /v1/usage shows that case alone; the access line of the request is
 * written after its settlement, so the test waits for it, then reads usage.
 */

const sha = (k: string) => createHash("sha256").update(k).digest("hex");
const CASES = ["complete", "abort", "reset", "inband", "timeout", "overflow", "guard", "refused", "anthropic", "native", "tokens", "error"] as const;
type Case = (typeof CASES)[number];
const keyOf = (c: Case) => `sk-metering-${c}-0000000000`;

/** The prompt estimate is 3 tokens (every string of the messages, 4 characters a token); max_tokens 50 is the output estimate. */
const PROMPT = [{ role: "user" as const, content: "Hi there" }];
const EST_IN = 3; // "user" and "Hi there": 12 characters
const EST_OUT = 50;

const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-m", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
const usageChunk = (model: string) => `data: ${JSON.stringify({ id: "chatcmpl-m", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 } })}\n\n`;

/** A fake OpenAI upstream whose behaviour is chosen by the model name. */
function openAiUpstream(): FakeUpstream {
  return new FakeUpstream((_req, res, body) => {
    const { model } = JSON.parse(body) as { model: string };
    if (model === "gpt-drop") {
      res.socket?.destroy(); // the request arrived; no answer ever comes
      return;
    }
    if (model === "gpt-tokens") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "chatcmpl-m", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 } }));
      return;
    }
    res.writeHead(model === "gpt-error" ? 400 : 200, { "content-type": model === "gpt-error" ? "application/json" : "text/event-stream" });
    switch (model) {
      case "gpt-error":
        res.end(JSON.stringify({ error: { message: "bad request", type: "invalid_request_error", param: null, code: null } }));
        return;
      case "gpt-complete":
        res.write(chunk(model, { role: "assistant", content: "" }));
        res.write(chunk(model, { content: "Hello" }, "stop"));
        res.write(usageChunk(model));
        res.end("data: [DONE]\n\n");
        return;
      case "gpt-abort":
      case "gpt-timeout":
        res.write(chunk(model, { role: "assistant", content: "" }));
        res.write(chunk(model, { content: "Hel" }));
        return; // never ends: the client leaves, or the route's timeout fires
      case "gpt-reset":
        res.write(chunk(model, { role: "assistant", content: "" }));
        res.write(chunk(model, { content: "Hel" }), () => setImmediate(() => res.destroy()));
        return;
      case "gpt-inband":
        res.write(chunk(model, { role: "assistant", content: "" }));
        res.end(`data: ${JSON.stringify({ error: { message: "overloaded", type: "server_error", param: null, code: null } })}\n\n`);
        return;
      case "gpt-overflow":
        res.write(chunk(model, { role: "assistant", content: "" }));
        // One event that never ends: 2 MiB with no blank line.
        for (let i = 0; i < 32; i++) res.write("data: " + "x".repeat(64 * 1024));
        return;
      case "gpt-guard":
        res.write(chunk(model, { role: "assistant", content: "" }));
        res.write(chunk(model, { content: "the code is SECRET-123456 and more" }));
        res.write(chunk(model, { content: " text" }, "stop"));
        res.end("data: [DONE]\n\n");
        return;
      default:
        res.end("data: [DONE]\n\n");
    }
  });
}

/** A fake Anthropic upstream that stops after message_start and one delta (the socket is cut). */
function anthropicUpstream(): FakeUpstream {
  return new FakeUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    const ev = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    res.write(ev("message_start", { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-6", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 40, output_tokens: 1 } } }));
    res.write(ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }));
    res.write(ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }), () => setImmediate(() => res.destroy()));
  });
}

let openaiUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  openaiUp = await openAiUpstream().start();
  anthropicUp = await anthropicUpstream().start();
  const refused = await closedPort();
  gw = await startTestGateway(`version: 1
auth:
  - name: keys
    type: apiKey
    keys:
${CASES.map((c) => `      - { id: ${c}, consumer: ${c}, sha256: "${sha(keyOf(c))}" }`).join("\n")}
consumers:
${CASES.map((c) => `  - { name: ${c}, budget: { usd: 1000, period: day }${c === "tokens" ? ", rateLimits: [tpm]" : ""} }`).join("\n")}
rateLimits:
  - { name: tpm, algorithm: fixed_window, limit: 100000, window: 1h, key: consumer, cost: tokens }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${openaiUp.url}" }], retries: { attempts: 0 } }
  - { name: claude, type: anthropic, targets: [{ url: "${anthropicUp.url}" }], credentials: { apiKey: sk-ant-up } }
  - { name: nowhere, type: openai, targets: [{ url: "http://127.0.0.1:${refused}" }], retries: { attempts: 0 } }
routes:
  - { name: slow, match: { path: /v1/chat/completions, model: "gpt-timeout" }, auth: [keys], upstream: openai, timeoutMs: 300 }
  - name: guarded
    match: { path: /v1/chat/completions, model: "gpt-guard" }
    auth: [keys]
    upstream: openai
    plugins: [{ name: response-guard, config: { policy: block, patterns: ["SECRET-[0-9]{6}"] } }]
  - { name: refused, match: { path: /v1/chat/completions, model: "gpt-refused" }, auth: [keys], upstream: nowhere }
  - { name: gpt, match: { path: /v1/chat/completions, model: "gpt-*" }, auth: [keys], upstream: openai }
  - { name: claude, match: { path: /v1/chat/completions, model: "claude-*" }, auth: [keys], upstream: claude }
  - { name: messages, match: { path: /v1/messages }, auth: [keys], upstream: claude }
pricing:
  - { model: "gpt-*", input: 1000000, output: 1000000 }
  - { model: "claude-*", input: 1000000, output: 1000000 }
`);
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([openaiUp?.close(), anthropicUp?.close()]);
});

interface UsageBody {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

async function usageOf(c: Case): Promise<UsageBody> {
  return (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${keyOf(c)}` } })).json()) as UsageBody;
}

const client = (c: Case) => new OpenAI({ apiKey: keyOf(c), baseURL: `${gw.url}/v1`, maxRetries: 0 });

/** Streams a chat request, reading events until `stopAfter` of them (then aborts), or to the end; never throws. */
async function stream(c: Case, model: string, stopAfter = Infinity): Promise<{ events: number; error: unknown }> {
  let events = 0;
  try {
    const s = await client(c).chat.completions.create({ model, messages: PROMPT, max_tokens: EST_OUT, stream: true }, { headers: { "x-request-id": `req-${c}` } });
    for await (const _ of s) {
      events++;
      if (events >= stopAfter) {
        s.controller.abort();
        break;
      }
    }
    return { events, error: null };
  } catch (err) {
    return { events, error: err };
  }
}

describe("every exchange that reached an upstream is settled once", () => {
  it("a complete stream: the upstream's usage, counted once", async () => {
    await stream("complete", "gpt-complete");
    const line = await accessLine(gw, "req-complete");
    expect(line.inputTokens).toBe(30);
    expect(await usageOf("complete")).toMatchObject({ requests: 1, inputTokens: 30, outputTokens: 7, costUsd: 37 });
  });

  it("the client cancels mid-stream: charged the estimate and counted", async () => {
    const out = await stream("abort", "gpt-abort", 1);
    expect(out.events).toBe(1);
    await accessLine(gw, "req-abort");
    expect(await usageOf("abort")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
  });

  it("the upstream resets mid-stream: charged and counted", async () => {
    await stream("reset", "gpt-reset");
    await accessLine(gw, "req-reset");
    expect(await usageOf("reset")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
  });

  it("the stream fails in-band: charged and counted", async () => {
    await stream("inband", "gpt-inband");
    await accessLine(gw, "req-inband");
    expect(await usageOf("inband")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
  });

  it("the route's timeout cuts the stream: charged and counted", async () => {
    await stream("timeout", "gpt-timeout");
    await accessLine(gw, "req-timeout");
    expect(await usageOf("timeout")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
  });

  it("an upstream event that never ends: the client's stream ends with an error event, charged and counted", async () => {
    const events: unknown[] = [];
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${keyOf("overflow")}`, "content-type": "application/json", "x-request-id": "req-overflow" },
      body: JSON.stringify({ model: "gpt-overflow", messages: PROMPT, max_tokens: EST_OUT, stream: true }),
    });
    const text = await res.text();
    for (const block of text.split("\n\n")) if (block.startsWith("data: {")) events.push(JSON.parse(block.slice(6)));
    expect(events.at(-1)).toMatchObject({ error: { code: "sse_event_too_large" } });
    expect(text.length).toBeLessThan(64 * 1024);
    await accessLine(gw, "req-overflow");
    expect(await usageOf("overflow")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_upstream_streams_abandoned_total\{upstream="openai",reason="sse_event_too_large"\} 1/);
  });

  it("a guard blocks the stream: charged and counted", async () => {
    await stream("guard", "gpt-guard");
    await accessLine(gw, "req-guard");
    expect(await usageOf("guard")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
  });

  it("a whole error answer is counted and costs what it reported (nothing)", async () => {
    await stream("error", "gpt-error");
    await accessLine(gw, "req-error");
    expect(await usageOf("error")).toMatchObject({ requests: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 });
  });

  it("a refused connection reached no upstream: nothing charged", async () => {
    const out = await stream("refused", "gpt-refused");
    expect(out.error).toBeInstanceOf(OpenAI.APIError);
    await accessLine(gw, "req-refused");
    expect(await usageOf("refused")).toMatchObject({ requests: 0, inputTokens: 0, outputTokens: 0 });
  });

  it("a translated Anthropic stream cut after message_start: its reported input, at least the estimated output", async () => {
    await stream("anthropic", "claude-sonnet-4-6");
    await accessLine(gw, "req-anthropic");
    expect(await usageOf("anthropic")).toMatchObject({ requests: 1, inputTokens: 40, outputTokens: EST_OUT });
  });

  it("native /v1/messages cut mid-stream (the official Anthropic SDK): charged and counted", async () => {
    const anthropic = new Anthropic({ apiKey: keyOf("native"), baseURL: gw.url, maxRetries: 0 });
    try {
      const s = await anthropic.messages.create({ model: "claude-sonnet-4-6", max_tokens: EST_OUT, messages: PROMPT, stream: true }, { headers: { "x-request-id": "req-native" } });
      for await (const _ of s) void _;
    } catch {
      // the stream was cut: expected
    }
    await accessLine(gw, "req-native");
    expect(await usageOf("native")).toMatchObject({ requests: 1, inputTokens: 40, outputTokens: EST_OUT });
  });

  it("token limits take the same settlement as the ledger: an upstream that drops the request still spends the window", async () => {
    await stream("tokens", "gpt-drop"); // reached the upstream, no answer: the estimate, 53 tokens
    await accessLine(gw, "req-tokens");
    expect(await usageOf("tokens")).toMatchObject({ requests: 1, inputTokens: EST_IN, outputTokens: EST_OUT });
    const probe = await client("tokens").chat.completions.create({ model: "gpt-tokens", messages: PROMPT, max_tokens: EST_OUT }, { headers: { "x-request-id": "req-tokens-2" } }).withResponse();
    // Admitted with 100000 - 53 (the dropped one) - 53 (this one's estimate) left.
    expect(probe.response.headers.get("ratelimit")).toMatch(/r=99894\b/);
    await accessLine(gw, "req-tokens-2");
    expect(await usageOf("tokens")).toMatchObject({ requests: 2, inputTokens: EST_IN + 30, outputTokens: EST_OUT + 7 });
  });
});
