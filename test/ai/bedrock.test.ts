import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterEach, describe, expect, it } from "vitest";
import { EventStreamDecoder, stringHeader } from "../../src/ai/bedrock/event-stream.js";
import { bedrockEndpoint, bedrockTranslator, signBedrockRequest } from "../../src/ai/bedrock/index.js";
import type { OpenAIChatRequest, TranslateContext } from "../../src/ai/types.js";
import { HttpError } from "../../src/errors/http.js";
import { encodeFrame, encodeFrames, type FrameSpec } from "../helpers/eventstream.js";
import { fakeBedrock, type FakeBedrock } from "../helpers/fake-bedrock.js";

const FIXTURES = new URL("../fixtures/ai/bedrock/", import.meta.url);
const fixture = <T = Record<string, unknown>>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ctx = (over: Partial<TranslateContext> = {}): TranslateContext => ({
  model: MODEL,
  defaultMaxTokens: 4096,
  region: "us-east-1",
  nowSeconds: 1795356201,
  id: "chatcmpl-bedrock-test",
  includeUsage: false,
  ...over,
});

const translate = (body: Record<string, unknown>, c = ctx()) => {
  const req = bedrockTranslator.request(body as OpenAIChatRequest, c);
  return { ...req, json: JSON.parse(req.body.toString("utf8")) as Record<string, unknown> };
};

const user = (content: unknown) => ({ role: "user", content });
const minimal = (over: Record<string, unknown> = {}) => ({ model: "m", messages: [user("hi")], ...over });

function rejects(body: Record<string, unknown>, pattern: RegExp): void {
  let caught: unknown;
  try {
    bedrockTranslator.request(body as OpenAIChatRequest, ctx());
  } catch (err) {
    caught = err;
  }
  expect(HttpError.is(caught)).toBe(true);
  const err = caught as HttpError;
  expect(err.status).toBe(400);
  expect(err.type).toBe("invalid_request_error");
  expect(err.message).toMatch(pattern);
}

/** Removes `additionalProperties` from every tool schema (aigw passes the OpenAI schema through unchanged). */
function withoutAdditionalProperties(toolConfig: unknown): unknown {
  const c = clone(toolConfig) as { tools: { toolSpec: { inputSchema: { json: Record<string, unknown> } } }[] };
  for (const t of c.tools) delete t.toolSpec.inputSchema.json.additionalProperties;
  return c;
}

describe("bedrock request translation", () => {
  it("chat.request.json → converse.request.json where the mapping is defined", () => {
    const openai = fixture("openai/chat.request.json");
    const expected = fixture("converse.request.json");
    const req = translate(openai);
    expect(req.path).toBe("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
    expect(req.headers).toEqual({ "content-type": "application/json", accept: "application/json" });
    expect(req.json.system).toEqual(expected.system);
    // Same shape; the two fixtures ask different questions (A-1042 and A-1043 vs A-1042 only).
    expect(req.json.messages).toEqual([{ role: "user", content: [{ text: "Where are orders A-1042 and A-1043 right now?" }] }]);
    // maxTokens / topP differ between the two fixtures (512 vs 1024, 1 vs 0.9): the values follow the OpenAI request.
    expect(req.json.inferenceConfig).toEqual({ maxTokens: 512, temperature: 0.2, topP: 1, stopSequences: ["\n\nUser:"] });
    expect((req.json.inferenceConfig as Record<string, unknown>).stopSequences).toEqual((expected.inferenceConfig as Record<string, unknown>).stopSequences);
    expect(withoutAdditionalProperties(req.json.toolConfig)).toEqual(expected.toolConfig);
    // top_k and requestMetadata have no source in the OpenAI request; user / parallel_tool_calls / strict are dropped.
    expect(Object.keys(req.json).sort()).toEqual(["inferenceConfig", "messages", "system", "toolConfig"]);
    expect(req.body.toString()).not.toMatch(/strict|parallel|ticket-7781|"model"/);
  });

  it("the streaming path is the one in converse-stream.events.json", () => {
    const events = fixture<{ request: { path: string } }>("converse-stream.events.json");
    const req = translate({ ...fixture("openai/chat.request.json"), stream: true });
    expect(req.path).toBe(events.request.path);
    expect(req.headers.accept).toBe("application/vnd.amazon.eventstream");
  });

  it("chat.tool-result.request.json → converse.tool-result.request.json", () => {
    const req = translate(fixture("openai/chat.tool-result.request.json"));
    expect(req.path).toBe("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream");
    const expected = fixture("converse.tool-result.request.json") as { messages: { content: Record<string, { status?: string }>[] }[]; toolConfig: unknown };
    // Documented differences: no toolResult.status (Bedrock takes it for Claude/Nova only; OpenAI has none),
    // and the tool schema keeps OpenAI's additionalProperties.
    const toolResult = expected.messages[2]?.content[0]?.toolResult;
    expect(toolResult?.status).toBe("success");
    delete toolResult?.status;
    expect({ ...req.json, toolConfig: withoutAdditionalProperties(req.json.toolConfig) }).toEqual(expected);
  });

  it("hoists system and developer messages, one block each, and drops blank ones", () => {
    const req = translate({
      model: "m",
      messages: [{ role: "system", content: "A" }, { role: "developer", content: [{ type: "text", text: "B" }] }, { role: "system", content: "  " }, user("hi")],
    });
    expect(req.json.system).toEqual([{ text: "A" }, { text: "B" }]);
  });

  it("drops empty text blocks and empty messages, merges same-role neighbours", () => {
    const req = translate({
      model: "m",
      messages: [user("one"), user([{ type: "text", text: "" }, { type: "text", text: "two" }]), { role: "assistant", content: "" }, user(" \n")],
    });
    expect(req.json.messages).toEqual([{ role: "user", content: [{ text: "one" }, { text: "two" }] }]);
  });

  it("merges consecutive tool messages into one user message, tool results first", () => {
    const req = translate({
      model: "m",
      messages: [
        user("look up two orders"),
        {
          role: "assistant",
          content: "Looking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1"}' } },
            { id: "call_2", type: "function", function: { name: "lookup_order", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"status":"delivered"}' },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "not found" }] },
        user("thanks"),
      ],
    });
    expect(req.json.messages).toEqual([
      { role: "user", content: [{ text: "look up two orders" }] },
      {
        role: "assistant",
        content: [
          { text: "Looking." },
          { toolUse: { toolUseId: "call_1", name: "lookup_order", input: { order_id: "A-1" } } },
          { toolUse: { toolUseId: "call_2", name: "lookup_order", input: {} } },
        ],
      },
      {
        role: "user",
        content: [
          { toolResult: { toolUseId: "call_1", content: [{ json: { status: "delivered" } }] } },
          { toolResult: { toolUseId: "call_2", content: [{ text: "not found" }] } },
          { text: "thanks" },
        ],
      },
    ]);
  });

  it("tool content that is JSON but not an object stays text", () => {
    const req = translate({
      model: "m",
      messages: [
        user("q"),
        { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c", content: "[1,2]" },
      ],
    });
    expect((req.json.messages as { content: unknown[] }[])[2]?.content).toEqual([{ toolResult: { toolUseId: "c", content: [{ text: "[1,2]" }] } }]);
  });

  it("maps image data URLs by MIME subtype", () => {
    const req = translate({ model: "m", messages: [user([{ type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA", detail: "high" } }, { type: "text", text: "what is this?" }])] });
    expect(req.json.messages).toEqual([{ role: "user", content: [{ image: { format: "jpeg", source: { bytes: "AAAA" } } }, { text: "what is this?" }] }]);
  });

  it("maps a PDF file part to a document block", () => {
    const req = translate({ model: "m", messages: [user([{ type: "file", file: { filename: "invoice_2026.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } }, { type: "text", text: "sum it" }])] });
    expect((req.json.messages as { content: unknown[] }[])[0]?.content[0]).toEqual({ document: { format: "pdf", name: "invoice-2026", source: { bytes: "JVBERi0=" } } });
  });

  it("answers 400 for what Bedrock cannot take", () => {
    rejects({ model: "m", messages: [user([{ type: "image_url", image_url: { url: "https://example.com/a.png" } }])] }, /data URLs only/);
    rejects({ model: "m", messages: [user([{ type: "image_url", image_url: { url: "data:image/bmp;base64,AA" } }])] }, /image\/bmp/);
    rejects({ model: "m", messages: [user([{ type: "input_audio", input_audio: { data: "AA", format: "wav" } }])] }, /input_audio/);
    rejects({ model: "m", messages: [user([{ type: "file", file: { file_id: "file-1" } }])] }, /file_id/);
    rejects(minimal({ n: 2 }), /n > 1/);
    rejects(minimal({ temperature: 2.5 }), /temperature/);
    rejects(minimal({ logprobs: true }), /logprobs/);
    rejects(minimal({ top_logprobs: 3 }), /top_logprobs/);
    rejects(minimal({ modalities: ["text", "audio"] }), /modality/);
    rejects(minimal({ audio: { voice: "alloy", format: "wav" } }), /audio/);
    rejects(minimal({ response_format: { type: "json_object" } }), /response_format/);
    rejects(minimal({ tools: [{ type: "custom", custom: { name: "x" } }] }), /function/);
    rejects({ model: "m", messages: [{ role: "function", name: "f", content: "x" }] }, /role/);
    rejects({ model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{not json" } }] }] }, /not valid JSON/);
    rejects({ model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }] }] }, /JSON object/);
    rejects({ model: "m", messages: [] }, /messages/);
  });

  it("clamps temperature to Bedrock's 0–1 and passes top_p, stop and top_k", () => {
    const req = translate(minimal({ temperature: 1.7, top_p: 0.5, stop: "END", top_k: 40 }));
    expect(req.json.inferenceConfig).toEqual({ temperature: 1, topP: 0.5, stopSequences: ["END"] });
    expect(req.json.additionalModelRequestFields).toEqual({ top_k: 40 });
  });

  it("does not default maxTokens (Bedrock's is optional) and prefers max_completion_tokens", () => {
    expect(translate(minimal()).json.inferenceConfig).toBeUndefined();
    expect(translate(minimal({ max_tokens: 100 })).json.inferenceConfig).toEqual({ maxTokens: 100 });
    expect(translate(minimal({ max_tokens: 100, max_completion_tokens: 200 })).json.inferenceConfig).toEqual({ maxTokens: 200 });
  });

  it("drops knobs Bedrock has no field for", () => {
    const req = translate(
      minimal({
        seed: 1, logprobs: false, top_logprobs: 0, modalities: ["text"], presence_penalty: 1, frequency_penalty: 1, logit_bias: { "1": 2 },
        user: "u", metadata: { a: "b" }, store: true, service_tier: "auto", parallel_tool_calls: false,
        reasoning_effort: "low", stream_options: { include_usage: true }, response_format: { type: "text" }, n: 1,
      }),
    );
    expect(req.json).toEqual({ messages: [{ role: "user", content: [{ text: "hi" }] }] });
  });

  describe("tool_choice", () => {
    const tools = [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object", properties: { a: { type: "string" } } } } }, { type: "function", function: { name: "g" } }];
    const history = [user("q"), { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] }, { role: "tool", tool_call_id: "c", content: "ok" }];
    const config = (over: Record<string, unknown>) => translate(minimal({ tools, ...over })).json.toolConfig as Record<string, unknown> | undefined;

    it("auto, required, a named function, absent", () => {
      expect(config({ tool_choice: "auto" })?.toolChoice).toEqual({ auto: {} });
      expect(config({ tool_choice: "required" })?.toolChoice).toEqual({ any: {} });
      expect(config({ tool_choice: { type: "function", function: { name: "g" } } })?.toolChoice).toEqual({ tool: { name: "g" } });
      expect(config({})).toEqual({
        tools: [
          { toolSpec: { name: "f", description: "d", inputSchema: { json: { type: "object", properties: { a: { type: "string" } } } } } },
          { toolSpec: { name: "g", inputSchema: { json: { type: "object", properties: {} } } } },
        ],
      });
    });

    it("none: no toolConfig, unless the history holds tool blocks (then tools without toolChoice)", () => {
      expect(config({ tool_choice: "none" })).toBeUndefined();
      const withHistory = translate({ model: "m", messages: history, tools, tool_choice: "none" }).json.toolConfig as Record<string, unknown>;
      expect(withHistory.tools).toHaveLength(2);
      expect(withHistory.toolChoice).toBeUndefined();
    });

    it("allowed_tools filters the tools", () => {
      const c = config({ tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "g" } }] } } });
      expect(c).toEqual({ tools: [{ toolSpec: { name: "g", inputSchema: { json: { type: "object", properties: {} } } } }], toolChoice: { any: {} } });
    });
  });

  it("encodes model ids with ':' and '/' (ARNs) in the path", () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0";
    expect(translate(minimal(), ctx({ model: arn })).path).toBe(
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
    );
  });
});

describe("bedrock response translation", () => {
  it("converse.response.json → chat.completion", () => {
    const out = bedrockTranslator.response(fixture("converse.response.json"), ctx());
    expect(out).toEqual({
      id: "chatcmpl-bedrock-test",
      object: "chat.completion",
      created: 1795356201,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "I'll look up order A-1042 for you.",
            refusal: null,
            tool_calls: [{ id: "tooluse_Xq3vR8mKTa2bLc9Wd0eFgH", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1042"}' } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 402, completion_tokens: 71, total_tokens: 473 },
    });
    expect(bedrockTranslator.usage(fixture("converse.response.json"))).toEqual({ inputTokens: 402, outputTokens: 71 });
  });

  it("concatenates text blocks, skips reasoning, content null without text", () => {
    const body = { output: { message: { role: "assistant", content: [{ reasoningContent: { reasoningText: { text: "hmm" } } }, { text: "a" }, { text: "b" }] } }, stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } };
    const msg = (bedrockTranslator.response(body, ctx()).choices as { message: Record<string, unknown> }[])[0]?.message;
    expect(msg).toEqual({ role: "assistant", content: "ab", refusal: null });
    const empty = (bedrockTranslator.response({ output: { message: { content: [] } }, stopReason: "end_turn" }, ctx()).choices as { message: Record<string, unknown> }[])[0]?.message;
    expect(empty?.content).toBeNull();
  });

  it("maps stopReason with table 2.4", () => {
    const cases: Record<string, string> = {
      end_turn: "stop", stop_sequence: "stop", max_tokens: "length", model_context_window_exceeded: "length", tool_use: "tool_calls",
      guardrail_intervened: "content_filter", content_filtered: "content_filter", malformed_model_output: "stop", malformed_tool_use: "stop", something_new: "stop",
    };
    for (const [stopReason, finish] of Object.entries(cases)) {
      const out = bedrockTranslator.response({ output: { message: { content: [{ text: "x" }] } }, stopReason }, ctx());
      expect((out.choices as { finish_reason: string }[])[0]?.finish_reason, stopReason).toBe(finish);
    }
  });

  it("adds prompt-cache tokens to prompt_tokens and reports cached_tokens", () => {
    const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 1215, cacheReadInputTokens: 1000, cacheWriteInputTokens: 200 };
    const out = bedrockTranslator.response({ output: { message: { content: [{ text: "x" }] } }, stopReason: "end_turn", usage }, ctx());
    expect(out.usage).toEqual({ prompt_tokens: 1210, completion_tokens: 5, total_tokens: 1215, prompt_tokens_details: { cached_tokens: 1000 } });
    expect(bedrockTranslator.usage({ usage })).toEqual({ inputTokens: 1210, outputTokens: 5 });
  });
});

describe("bedrock errors (table 2.6)", () => {
  const err = (status: number, type: string | undefined, message = "boom") =>
    bedrockTranslator.error(status, { message }, type === undefined ? {} : { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

  it("maps each exception", () => {
    const cases: [number, string, number, string, string | null][] = [
      [400, "ValidationException", 400, "invalid_request_error", null],
      [403, "AccessDeniedException", 403, "permission_error", null],
      [404, "ResourceNotFoundException", 404, "not_found_error", null],
      [408, "ModelTimeoutException", 504, "timeout_error", null],
      [424, "ModelErrorException", 502, "api_error", null],
      [429, "ThrottlingException", 429, "rate_limit_error", "rate_limit_exceeded"],
      [429, "ModelNotReadyException", 503, "service_unavailable_error", "server_is_overloaded"],
      [400, "ServiceQuotaExceededException", 429, "insufficient_quota", "insufficient_quota"],
      [500, "InternalServerException", 500, "api_error", null],
      [503, "ServiceUnavailableException", 503, "service_unavailable_error", null],
      [403, "InvalidSignatureException", 502, "api_error", "upstream_auth_error"],
      [403, "UnrecognizedClientException", 502, "api_error", "upstream_auth_error"],
    ];
    for (const [status, name, outStatus, type, code] of cases) {
      expect(err(status, name), name).toEqual({ status: outStatus, body: { error: { message: "boom", type, param: null, code } } });
    }
  });

  it("falls back on the status, a body string, and a default message", () => {
    expect(err(429, undefined).status).toBe(429);
    expect(bedrockTranslator.error(500, "not json", {}).body.error).toEqual({ message: "Bedrock returned InternalServerException", type: "api_error", param: null, code: null });
    expect(bedrockTranslator.error(400, JSON.stringify({ message: "bad" }), { "X-Amzn-ErrorType": "ValidationException" }).body.error.message).toBe("bad");
    expect(bedrockTranslator.error(418, {}, {}).status).toBe(418);
    expect(bedrockTranslator.error(502, {}, {}).status).toBe(502);
  });
});

// ---------------------------------------------------------------- streaming

interface EventsFixture {
  response: { frames: FrameSpec[] };
  exception_example: { frame: FrameSpec };
}
const events = fixture<EventsFixture>("converse-stream.events.json");
const streamBytes = encodeFrames(events.response.frames);

function run(chunks: Buffer[], includeUsage: boolean) {
  const t = bedrockTranslator.stream(ctx({ includeUsage }));
  const out: Buffer[] = [];
  for (const c of chunks) out.push(...t.push(c));
  out.push(...t.end());
  return { text: Buffer.concat(out).toString("utf8"), translator: t };
}

function dataLines(text: string): unknown[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((e) => e.length > 0)
    .map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      const data = e.slice(6);
      return data === "[DONE]" ? "[DONE]" : JSON.parse(data);
    });
}

/** mulberry32: a seeded PRNG, so random splits are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplits(buf: Buffer, seed: number): Buffer[] {
  const rand = prng(seed);
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const n = 1 + Math.floor(rand() * 40);
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

const byteByByte = (buf: Buffer): Buffer[] => Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1));

const envelope = { id: "chatcmpl-bedrock-test", object: "chat.completion.chunk", created: 1795356201, model: MODEL };
const expectedChunks = (includeUsage: boolean): unknown[] => {
  const u = includeUsage ? { usage: null } : {};
  const c = (delta: unknown, finish: string | null = null) => ({ ...envelope, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...u });
  return [
    c({ role: "assistant", content: "" }),
    c({ content: "I'll look up" }),
    c({ content: " order A-1042 for you." }),
    c({ tool_calls: [{ index: 0, id: "tooluse_Xq3vR8mKTa2bLc9Wd0eFgH", type: "function", function: { name: "lookup_order", arguments: "" } }] }),
    c({ tool_calls: [{ index: 0, function: { arguments: '{"order_id": ' } }] }),
    c({ tool_calls: [{ index: 0, function: { arguments: '"A-1042"}' } }] }),
    c({}, "tool_calls"),
    ...(includeUsage ? [{ ...envelope, choices: [], usage: { prompt_tokens: 402, completion_tokens: 71, total_tokens: 473 } }] : []),
    "[DONE]",
  ];
};

describe("bedrock streaming (table 2.5)", () => {
  for (const includeUsage of [true, false]) {
    it(`translates converse-stream.events.json, includeUsage=${includeUsage}, identically for any byte split`, () => {
      const whole = run([streamBytes], includeUsage);
      expect(dataLines(whole.text)).toEqual(expectedChunks(includeUsage));
      expect(whole.translator.failed()).toBe(false);
      expect(whole.translator.usage()).toEqual({ inputTokens: 402, outputTokens: 71 });
      expect(whole.text).not.toContain('"p"');
      expect(run(byteByByte(streamBytes), includeUsage).text).toBe(whole.text);
      for (let seed = 1; seed <= 25; seed++) expect(run(randomSplits(streamBytes, seed), includeUsage).text, `seed ${seed}`).toBe(whole.text);
      // Frame by frame: [DONE] comes with the metadata frame, not at end().
      const t = bedrockTranslator.stream(ctx({ includeUsage }));
      const perFrame = events.response.frames.map((f) => Buffer.concat(t.push(encodeFrame(f.headers, f.payload))).toString());
      expect(perFrame.at(-1)).toMatch(/data: \[DONE\]\n\n$/);
      expect(perFrame.at(-2)).toContain('"finish_reason":"tool_calls"');
      expect(perFrame.at(-2)).not.toContain("[DONE]");
      expect(t.end()).toEqual([]);
    });
  }

  it("an exception frame mid-stream becomes an error event, without [DONE]", () => {
    const frames = [...events.response.frames.slice(0, 3), events.exception_example.frame, ...events.response.frames.slice(3)];
    const bytes = encodeFrames(frames);
    const results = [run([bytes], true), run(byteByByte(bytes), true), run(randomSplits(bytes, 7), true)];
    for (const r of results) {
      expect(r.text).toBe(results[0]?.text);
      const lines = dataLines(r.text);
      expect(lines).toHaveLength(4);
      expect(lines.at(-1)).toEqual({ error: { message: "Too many requests, please wait before trying again.", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } });
      expect(r.text).not.toContain("[DONE]");
      expect(r.translator.failed()).toBe(true);
    }
  });

  it("maps other in-stream exceptions and error frames", () => {
    const head = encodeFrames(events.response.frames.slice(0, 1));
    const ex = run([head, encodeFrame({ ":message-type": "exception", ":exception-type": "modelStreamErrorException", ":content-type": "application/json" }, { message: "model broke" })], false);
    expect(dataLines(ex.text).at(-1)).toEqual({ error: { message: "model broke", type: "api_error", param: null, code: null } });
    const er = run([head, encodeFrame({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "oops" }, Buffer.alloc(0))], false);
    expect(dataLines(er.text).at(-1)).toEqual({ error: { message: "InternalFailure: oops", type: "api_error", param: null, code: "upstream_error" } });
    expect(er.translator.failed()).toBe(true);
  });

  it("a stream cut mid-frame ends with an error event, no [DONE]", () => {
    const cut = streamBytes.subarray(0, streamBytes.length - 10);
    for (const chunks of [[cut], byteByByte(cut)]) {
      const r = run(chunks, true);
      const lines = dataLines(r.text);
      expect(lines.at(-1)).toEqual({ error: { message: "Bedrock stream ended in the middle of a frame", type: "api_error", param: null, code: "upstream_reset" } });
      expect(r.text).not.toContain("[DONE]");
      expect(r.translator.failed()).toBe(true);
    }
  });

  it("a stream that ends after messageStop but before metadata is failed", () => {
    const r = run([encodeFrames(events.response.frames.slice(0, -1))], true);
    const lines = dataLines(r.text);
    expect(lines.at(-2)).toMatchObject({ choices: [{ finish_reason: "tool_calls" }] });
    expect(lines.at(-1)).toMatchObject({ error: { code: "upstream_reset", message: "Bedrock stream ended before its metadata event" } });
    expect(r.translator.failed()).toBe(true);
    expect(r.translator.usage()).toBeNull();
    const early = run([encodeFrames(events.response.frames.slice(0, 2))], false);
    expect(dataLines(early.text).at(-1)).toMatchObject({ error: { message: "Bedrock stream ended before messageStop" } });
  });

  it("a corrupt message CRC or prelude CRC becomes an error event", () => {
    const second = encodeFrame(events.response.frames[1]!.headers, events.response.frames[1]!.payload);
    const first = encodeFrame(events.response.frames[0]!.headers, events.response.frames[0]!.payload);
    const badPayload = Buffer.from(second);
    badPayload[20] = (badPayload[20] as number) ^ 0xff;
    const badPrelude = Buffer.from(second);
    badPrelude[3] = (badPrelude[3] as number) ^ 0x01;
    const cases = [
      [badPayload, /^invalid event stream from Bedrock: event stream frame is invalid: The message checksum/],
      [badPrelude, /^invalid event stream from Bedrock: event stream prelude CRC mismatch$/],
    ] as const;
    for (const [bad, why] of cases) {
      const bytes = Buffer.concat([first, bad, streamBytes]);
      for (const chunks of [[bytes], byteByByte(bytes)]) {
        const r = run(chunks, false);
        const lines = dataLines(r.text);
        expect(lines).toHaveLength(2);
        expect(lines[1]).toMatchObject({ error: { type: "api_error", param: null, code: "upstream_error" } });
        expect((lines[1] as { error: { message: string } }).error.message).toMatch(why);
        expect(r.translator.failed()).toBe(true);
      }
    }
  });

  it("ignores unknown events and reasoning deltas", () => {
    const frames: FrameSpec[] = [
      events.response.frames[0]!,
      { headers: { ":message-type": "event", ":event-type": "contentBlockDelta" }, payload: { contentBlockIndex: 0, delta: { reasoningContent: { text: "thinking" } }, p: "abc" } },
      { headers: { ":message-type": "event", ":event-type": "somethingNew" }, payload: { x: 1 } },
      ...events.response.frames.slice(1),
    ];
    expect(run([encodeFrames(frames)], true).text).toBe(run([streamBytes], true).text);
  });
});

describe("event stream decoder", () => {
  it("decodes AWS's empty-message test vector", () => {
    const { messages, error } = new EventStreamDecoder().push(Buffer.from("000000100000000005c248eb7d98c8ff", "hex"));
    expect(error).toBeNull();
    expect(messages).toEqual([{ headers: {}, payload: Buffer.alloc(0) }]);
  });

  /** A frame built byte by byte (not with AWS's encoder), one header of each of the ten value types. */
  function everyHeaderType(unknownType?: number): Buffer {
    const hdr = (name: string, type: number, value: Buffer) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from([type]), value]);
    const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
    const headers = Buffer.concat([
      hdr("t", 0, Buffer.alloc(0)), hdr("f", 1, Buffer.alloc(0)), hdr("b", 2, Buffer.from([0xff])), hdr("s", 3, Buffer.from([0x01, 0x00])),
      hdr("i", 4, Buffer.from([0, 0, 1, 0])), hdr("l", 5, Buffer.from([0, 0, 0, 0, 0, 0, 0, 9])), hdr("y", 6, Buffer.concat([u16(2), Buffer.from([1, 2])])),
      hdr(":event-type", 7, Buffer.concat([u16(4), Buffer.from("ping")])), hdr("d", 8, Buffer.from([0, 0, 0, 0, 0, 0, 0x03, 0xe8])), hdr("u", 9, Buffer.alloc(16, 0xab)),
      ...(unknownType === undefined ? [] : [hdr("x", unknownType, Buffer.alloc(0))]),
    ]);
    const payload = Buffer.from("{}");
    const total = 16 + headers.length + payload.length;
    const frame = Buffer.alloc(total);
    frame.writeUInt32BE(total, 0);
    frame.writeUInt32BE(headers.length, 4);
    frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
    headers.copy(frame, 12);
    payload.copy(frame, 12 + headers.length);
    frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
    return frame;
  }

  it("reads every header value type, tagged with its type", () => {
    const { messages, error } = new EventStreamDecoder().push(everyHeaderType());
    expect(error).toBeNull();
    const h = messages[0]!.headers;
    expect({ ...h, l: undefined, y: undefined }).toEqual({
      t: { type: "boolean", value: true }, f: { type: "boolean", value: false }, b: { type: "byte", value: -1 }, s: { type: "short", value: 256 },
      i: { type: "integer", value: 256 }, l: undefined, y: undefined, ":event-type": { type: "string", value: "ping" },
      d: { type: "timestamp", value: new Date(1000) }, u: { type: "uuid", value: "abababab-abab-abab-abab-abababababab" },
    });
    expect(h.l?.type === "long" && h.l.value.valueOf()).toBe(9);
    expect(h.y?.type === "binary" && Buffer.from(h.y.value)).toEqual(Buffer.from([1, 2]));
    expect(stringHeader(messages[0]!, ":event-type")).toBe("ping");
    expect(stringHeader(messages[0]!, "t")).toBeUndefined();
    expect(messages[0]?.payload.toString()).toBe("{}");
  });

  it("returns the good frames before a bad one, then stays dead", () => {
    const good = encodeFrame({ ":message-type": "event", ":event-type": "ping" }, {});
    const decoder = new EventStreamDecoder();
    const first = decoder.push(Buffer.concat([good, everyHeaderType(42), good]));
    expect(first.messages).toHaveLength(1);
    expect(first.error?.message).toMatch(/^event stream frame is invalid: .*header type/i);
    expect(decoder.buffered).toBe(0);
    const again = decoder.push(good);
    expect(again).toEqual({ messages: [], error: first.error });
  });

  it("keeps a partial frame buffered until the rest arrives", () => {
    const frame = encodeFrame({ ":message-type": "event", ":event-type": "ping" }, { p: "abc" });
    const decoder = new EventStreamDecoder();
    expect(decoder.push(frame.subarray(0, 5))).toEqual({ messages: [], error: null });
    expect(decoder.push(frame.subarray(5, frame.length - 1))).toEqual({ messages: [], error: null });
    expect(decoder.buffered).toBe(frame.length - 1);
    const { messages, error } = decoder.push(frame.subarray(frame.length - 1));
    expect(error).toBeNull();
    expect(messages.map((m) => stringHeader(m, ":event-type"))).toEqual(["ping"]);
    expect(decoder.buffered).toBe(0);
  });

  it("rejects impossible lengths without buffering them", () => {
    const prelude = Buffer.alloc(12);
    prelude.writeUInt32BE(0x7fffffff, 0);
    prelude.writeUInt32BE(0, 4);
    prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
    expect(new EventStreamDecoder().push(prelude).error?.message).toMatch(/impossible length/);
  });
});

// ---------------------------------------------------------------- SigV4

const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token=";
const DATE = new Date("2026-11-22T10:15:30.123Z");

async function smithySign(url: string, body: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string) {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials, region, service: "bedrock", sha256: Hash.bind(null, "sha256") });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signed = await signer.sign(
    { method: "POST", protocol: u.protocol, hostname: u.hostname, port: u.port === "" ? undefined : Number(u.port), path: u.pathname, query, headers: { host: u.host }, body },
    { signingDate: DATE },
  );
  return signed.headers as Record<string, string>;
}

describe("SigV4: the synchronous signer against @smithy/signature-v4's own sign", () => {
  const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: "Where is order A-1042?" }] }] });
  const cases: [string, string, string][] = [
    ["converse, model id with ':'", "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", "us-east-1"],
    ["converse-stream, inference profile", "https://bedrock-runtime.eu-central-1.amazonaws.com/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream", "eu-central-1"],
    ["ARN model id ('/' and ':')", "https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.meta.llama3-1-70b-instruct-v1%3A0/converse", "us-west-2"],
    ["http host:port (test endpoint)", "http://127.0.0.1:54321/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", "us-east-1"],
    ["query string, unsorted and escaped", "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse?b=2&a=x%20y&a=%2A&c=%7E", "us-east-1"],
  ];
  for (const [name, url, region] of cases) {
    for (const sessionToken of [undefined, TOKEN]) {
      it(`${name}${sessionToken === undefined ? "" : ", session token"}`, async () => {
        const credentials = sessionToken === undefined ? CREDS : { ...CREDS, sessionToken };
        const mine = signBedrockRequest({ method: "POST", url, headers: { "content-type": "application/json" }, body: Buffer.from(body), credentials, region, date: DATE });
        const aws = await smithySign(url, body, credentials, region);
        expect(mine.authorization).toBe(aws.authorization);
        expect(mine["x-amz-date"]).toBe(aws["x-amz-date"]);
        expect(mine["x-amz-content-sha256"]).toBe(aws["x-amz-content-sha256"]);
        expect(mine["x-amz-security-token"]).toBe(aws["x-amz-security-token"]);
        expect(mine.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261122\/[a-z0-9-]+\/bedrock\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date(;x-amz-security-token)?, Signature=[0-9a-f]{64}$/);
      });
    }
  }

  it("matches a signature pinned from AWS's algorithm (model id ':' signed double-encoded, query sorted)", () => {
    const url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse?b=2&a=x%20y";
    const sign = (credentials: typeof CREDS & { sessionToken?: string }) => signBedrockRequest({ method: "POST", url, body: Buffer.from(body), credentials, region: "us-east-1", date: DATE });
    expect(sign(CREDS).authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=2d97f07357022910d19dd5599fad3ed5836dd8c67cde6b4cd2d41a0773f66743",
    );
    expect(sign({ ...CREDS, sessionToken: TOKEN }).authorization).toMatch(/SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=6371057650980d65f88a5deeb1d4cb61769263507351e75365498c31681a0d0d$/);
    expect(sign(CREDS)["x-amz-content-sha256"]).toBe("eddb95a521aaa676ca0171f779af997b8c374666afc33507ad50102d62376d12");
  });

  it("uses headers.host over the URL when given", async () => {
    const url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse";
    const viaHeader = signBedrockRequest({ method: "POST", url: "http://10.0.0.1:8080/model/m/converse", headers: { Host: "bedrock-runtime.us-east-1.amazonaws.com" }, body, credentials: CREDS, region: "us-east-1", date: DATE });
    expect(viaHeader.authorization).toBe((await smithySign(url, body, CREDS, "us-east-1")).authorization);
  });

  it("bedrockEndpoint", () => {
    expect(bedrockEndpoint("us-east-1")).toBe("https://bedrock-runtime.us-east-1.amazonaws.com");
  });
});

// ---------------------------------------------------------------- fake Bedrock

describe("fake Bedrock (verifies SigV4 with @smithy/signature-v4)", () => {
  let fake: FakeBedrock | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function call(f: FakeBedrock, stream: boolean, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, tamper?: (h: Record<string, string>) => void) {
    const req = bedrockTranslator.request({ ...(fixture("openai/chat.request.json") as OpenAIChatRequest), stream }, ctx());
    const url = `${f.url}${req.path}`;
    const signed = signBedrockRequest({ method: "POST", url, body: req.body, credentials, region: "us-east-1", date: new Date() });
    const headers: Record<string, string> = { ...req.headers, ...signed };
    tamper?.(headers);
    const res = await fetch(url, { method: "POST", headers, body: req.body });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  it("accepts a request signed by aigw and replays converse.response.json", async () => {
    fake = await fakeBedrock({ credentials: CREDS, region: "us-east-1", maxSkewMs: 15 * 60_000 });
    const { res, bytes } = await call(fake, false, CREDS);
    expect(res.status).toBe(200);
    expect(JSON.parse(bytes.toString())).toEqual(fixture("converse.response.json"));
    expect(fake.last).toMatchObject({ modelId: MODEL, operation: "converse", verified: true });
    expect(fake.last.url).toBe("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
    expect(fake.last.headers.host).toBe(fake.url.slice("http://".length));
  });

  it("streams the binary event stream, which the translator turns into the expected chunks", async () => {
    fake = await fakeBedrock({ credentials: { ...CREDS, sessionToken: TOKEN }, region: "us-east-1" });
    const { res, bytes } = await call(fake, true, { ...CREDS, sessionToken: TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(bytes.equals(streamBytes)).toBe(true);
    expect(dataLines(run([bytes], true).text)).toEqual(expectedChunks(true));
  });

  it("answers 403 InvalidSignatureException on a bad signature, UnrecognizedClientException on an unknown key or token", async () => {
    fake = await fakeBedrock({ credentials: CREDS, region: "us-east-1" });
    const wrongSecret = await call(fake, false, { ...CREDS, secretAccessKey: "nope" });
    expect(wrongSecret.res.status).toBe(403);
    expect(wrongSecret.res.headers.get("x-amzn-errortype")).toMatch(/^InvalidSignatureException:/);
    expect(JSON.parse(wrongSecret.bytes.toString()).message).toMatch(/signature we calculated does not match/);
    expect(fake.last.verified).toBe(false);

    const tampered = await call(fake, false, CREDS, (h) => {
      h["x-amz-date"] = "20200101T000000Z";
    });
    expect(tampered.res.status).toBe(400);

    const wrongKey = await call(fake, false, { ...CREDS, accessKeyId: "AKIDOTHER" });
    expect(wrongKey.res.status).toBe(403);
    expect(wrongKey.res.headers.get("x-amzn-errortype")).toMatch(/^UnrecognizedClientException:/);

    const withToken = await call(fake, false, { ...CREDS, sessionToken: TOKEN });
    expect(withToken.res.status).toBe(403);

    const mapped = bedrockTranslator.error(wrongSecret.res.status, JSON.parse(wrongSecret.bytes.toString()), { "x-amzn-errortype": wrongSecret.res.headers.get("x-amzn-errortype") ?? undefined });
    expect(mapped.status).toBe(502);
    expect(mapped.body.error.code).toBe("upstream_auth_error");
  });

  it("error, in-stream exception and cut-stream behaviours", async () => {
    fake = await fakeBedrock({ credentials: CREDS, region: "us-east-1" });
    fake.behaviour = { kind: "error", status: 429, errorType: "ThrottlingException", message: "Too many requests" };
    const throttled = await call(fake, false, CREDS);
    expect(throttled.res.status).toBe(429);
    expect(bedrockTranslator.error(429, JSON.parse(throttled.bytes.toString()), { "x-amzn-errortype": throttled.res.headers.get("x-amzn-errortype") ?? undefined }).body.error.code).toBe("rate_limit_exceeded");

    fake.behaviour = { kind: "stream-exception", afterFrames: 3 };
    const ex = run([(await call(fake, true, CREDS)).bytes], false);
    expect(ex.translator.failed()).toBe(true);
    expect(dataLines(ex.text).at(-1)).toMatchObject({ error: { code: "rate_limit_exceeded" } });

    fake.behaviour = { kind: "stream-cut", afterBytes: 300 };
    const url = `${fake.url}/model/m/converse-stream`;
    const body = Buffer.from("{}");
    const res = await fetch(url, { method: "POST", body, headers: { ...signBedrockRequest({ method: "POST", url, body, credentials: CREDS, region: "us-east-1", date: new Date() }) } });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });
});
