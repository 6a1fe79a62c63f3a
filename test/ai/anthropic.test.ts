/**
 * The Anthropic translator against the recorded provider transcripts
 * (test/fixtures/ai, copies of shared/fixtures/providers): requests,
 * responses, streams chunk by chunk (whole, byte by byte and in random
 * splits), usage and errors.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { anthropicTranslator } from "../../src/ai/anthropic/index.js";
import { anthropicBody } from "../../src/ai/anthropic/request.js";
import type { OpenAIChatRequest, TranslateContext } from "../../src/ai/types.js";
import { HttpError } from "../../src/errors/http.js";

type Json = Record<string, any>;

const fixture = (path: string): Buffer => readFileSync(new URL(`../fixtures/ai/${path}`, import.meta.url));
const json = (path: string): Json => JSON.parse(fixture(path).toString("utf8")) as Json;
const clone = <T>(v: T): T => structuredClone(v);

const ctx = (over: Partial<TranslateContext> = {}): TranslateContext => ({
  model: "claude-sonnet-4-6",
  defaultMaxTokens: 4096,
  nowSeconds: 1795356201,
  id: "chatcmpl-aigw0001",
  includeUsage: false,
  ...over,
});

const requestBody = (body: Json, c: TranslateContext = ctx()): Json => {
  const req = anthropicTranslator.request(body as OpenAIChatRequest, c);
  return JSON.parse(req.body.toString("utf8")) as Json;
};

// ---------------------------------------------------------------- stream helpers

interface Run {
  text: string;
  pieces: Buffer[];
  failed: boolean;
  usage: ReturnType<ReturnType<typeof anthropicTranslator.stream>["usage"]>;
}

/** Feeds `parts` to a fresh stream translator. */
function run(parts: Buffer[], c: TranslateContext = ctx()): Run {
  const t = anthropicTranslator.stream(c);
  const pieces: Buffer[] = [];
  for (const p of parts) pieces.push(...t.push(p));
  pieces.push(...t.end());
  return { text: Buffer.concat(pieces).toString("utf8"), pieces, failed: t.failed(), usage: t.usage() };
}

const whole = (b: Buffer): Buffer[] => [b];
const bytewise = (b: Buffer): Buffer[] => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));

/** Deterministic random cut points (mulberry32). */
function randomSplit(b: Buffer, seed: number): Buffer[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = 1 + Math.floor(rnd() * 40);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Parses client-side SSE strictly as OpenAI's: each event is exactly one
 * `data:` line holding JSON or `[DONE]`, events end with a blank line,
 * `[DONE]` only last.
 */
function parseOpenAiSse(text: string): (Json | "[DONE]")[] {
  expect(text === "" || text.endsWith("\n\n")).toBe(true);
  const events = text === "" ? [] : text.slice(0, -2).split("\n\n");
  return events.map((e, i) => {
    expect(e.split("\n")).toHaveLength(1);
    expect(e.startsWith("data: ")).toBe(true);
    const data = e.slice(6);
    if (data === "[DONE]") {
      expect(i).toBe(events.length - 1);
      return "[DONE]";
    }
    const v = JSON.parse(data) as unknown;
    expect(v !== null && typeof v === "object" && !Array.isArray(v)).toBe(true);
    return v as Json;
  });
}

const chunksOf = (events: (Json | "[DONE]")[]): Json[] => events.filter((e): e is Json => e !== "[DONE]" && e.error === undefined);

/** What an OpenAI client (like the SDK's ChatCompletionStream) builds from chunks. */
function accumulate(chunks: Json[]): { content: string | null; tool_calls: Json[]; finish_reason: string | null; role: string | null } {
  let content: string | null = null;
  let role: string | null = null;
  let finish: string | null = null;
  const calls: Json[] = [];
  for (const c of chunks) {
    for (const ch of c.choices as Json[]) {
      const d = ch.delta as Json;
      if (typeof d.role === "string") role = d.role;
      if (typeof d.content === "string" && d.content !== "") content = (content ?? "") + d.content;
      for (const tc of (d.tool_calls ?? []) as Json[]) {
        const call = (calls[tc.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } });
        if (tc.id !== undefined) call.id = tc.id;
        if (tc.type !== undefined) call.type = tc.type;
        if (tc.function?.name !== undefined) call.function.name = tc.function.name;
        if (tc.function?.arguments !== undefined) call.function.arguments += tc.function.arguments;
      }
      if (ch.finish_reason !== null && ch.finish_reason !== undefined) finish = ch.finish_reason;
    }
  }
  return { content, tool_calls: calls, finish_reason: finish, role };
}

/** A Messages SSE body from events. */
const sse = (...events: Json[]): Buffer =>
  Buffer.from(events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join(""));

const messageStart = (usage: Json = { input_tokens: 10, output_tokens: 1 }): Json => ({
  type: "message_start",
  message: { id: "msg_x", type: "message", role: "assistant", model: "claude-haiku-4-5", content: [], stop_reason: null, stop_sequence: null, usage },
});

const STREAMS = ["anthropic/messages.stream.sse", "anthropic/messages.tools.stream.sse", "anthropic/error.stream.sse"];

// ---------------------------------------------------------------- requests

describe("request: OpenAI chat → Anthropic Messages", () => {
  const chat = json("openai/chat.request.json");
  const expected = json("anthropic/messages.request.json");

  it("targets /v1/messages with content-type and the configured anthropic-version (2023-06-01 by default)", () => {
    const req = anthropicTranslator.request(chat as OpenAIChatRequest, ctx());
    expect(req.path).toBe("/v1/messages");
    expect(req.headers).toEqual({ "content-type": "application/json", "anthropic-version": "2023-06-01" });
    const newer = anthropicTranslator.request(chat as OpenAIChatRequest, ctx({ anthropicVersion: "2026-10-21" }));
    expect(newer.headers["anthropic-version"]).toBe("2026-10-21");
    expect(Buffer.isBuffer(req.body)).toBe(true);
  });

  it("chat.request.json → messages.request.json, field by field where the mapping is defined (2026-10-21)", () => {
    const out = requestBody(chat, ctx({ anthropicVersion: "2026-10-21" }));
    // The same top-level fields as the recorded Anthropic request, and no others.
    expect(Object.keys(out).sort()).toEqual(Object.keys(expected).sort());
    expect(out.model).toBe(expected.model);
    // Hoisted system prompt: same text (the fixture adds cache_control, which OpenAI cannot express).
    expect(out.system).toBe(expected.system[0].text);
    // The fixture is the same scenario, not a translation: its user turn asks about one order.
    expect(out.messages).toEqual([{ role: "user", content: chat.messages[1].content }]);
    expect(expected.messages[0].role).toBe("user");
    expect(out.max_tokens).toBe(chat.max_completion_tokens);
    expect(out.tools).toHaveLength(1);
    expect(out.tools[0].name).toBe(expected.tools[0].name);
    expect(out.tools[0].description).toBe(expected.tools[0].description);
    expect(out.tools[0].input_schema).toEqual(chat.tools[0].function.parameters);
    const { additionalProperties, ...schema } = out.tools[0].input_schema as Json;
    expect(additionalProperties).toBe(false);
    expect(schema).toEqual(expected.tools[0].input_schema);
    expect(out.tool_choice).toEqual(expected.tool_choice); // auto + parallel_tool_calls: true
    expect(out.stop_sequences).toEqual(expected.stop_sequences);
    expect(out.metadata).toEqual(expected.metadata);
    expect(out.stream).toBe(expected.stream);
    expect(out).not.toHaveProperty("temperature");
    expect(out).not.toHaveProperty("top_p");
  });

  it("maps temperature with 2023-06-01, drops top_p 1 (a no-op), and drops both from 2026-10-21 on", () => {
    const old = requestBody(chat, ctx({ anthropicVersion: "2023-06-01" }));
    expect(old.temperature).toBe(0.2);
    expect(old).not.toHaveProperty("top_p");
    const both = requestBody({ ...chat, temperature: 0.7, top_p: 0.9 });
    expect([both.temperature, both.top_p]).toEqual([0.7, 0.9]);
    expect(requestBody({ ...chat, temperature: 1.6 }).temperature).toBe(1);
    for (const v of ["2026-10-21", "2027-01-01"]) {
      const out = requestBody({ ...chat, temperature: 0.7, top_p: 0.9 }, ctx({ anthropicVersion: v }));
      expect(out).not.toHaveProperty("temperature");
      expect(out).not.toHaveProperty("top_p");
      expect(out).not.toHaveProperty("top_k");
    }
    // Apart from sampling, both versions send the same body.
    const { temperature: _t, ...rest } = old;
    expect(rest).toEqual(requestBody(chat, ctx({ anthropicVersion: "2026-10-21" })));
  });

  it("chat.tool-result.request.json → messages.tool-result.request.json (image, tool_use, tool_result)", () => {
    const out = requestBody(json("openai/chat.tool-result.request.json"), ctx({ anthropicVersion: "2026-10-21" }));
    const want = clone(json("anthropic/messages.tool-result.request.json"));
    // input_schema is OpenAI's `parameters` verbatim; the fixture leaves out additionalProperties.
    want.tools[0].input_schema.additionalProperties = false;
    expect(out).toEqual(want);
    const old = requestBody(json("openai/chat.tool-result.request.json"), ctx({ anthropicVersion: "2023-06-01" }));
    expect(old).toEqual({ ...want, temperature: 0.2 });
  });

  it("max_tokens: max_completion_tokens, else max_tokens, else ctx.defaultMaxTokens, else 4096", () => {
    const base = { model: "m", messages: [{ role: "user", content: "hi" }] };
    expect(requestBody({ ...base, max_completion_tokens: 100, max_tokens: 200 }).max_tokens).toBe(100);
    expect(requestBody({ ...base, max_tokens: 200 }).max_tokens).toBe(200);
    expect(requestBody(base, ctx({ defaultMaxTokens: 2048 })).max_tokens).toBe(2048);
    expect(requestBody(base).max_tokens).toBe(4096);
    expect(requestBody(base, ctx({ defaultMaxTokens: 0 })).max_tokens).toBe(4096);
  });

  it("hoists every system and developer message, in order, into system text blocks", () => {
    const out = requestBody({
      model: "m",
      messages: [
        { role: "system", content: "A" },
        { role: "developer", content: [{ type: "text", text: "B" }] },
        { role: "user", content: "hi" },
        { role: "system", content: "C" },
        { role: "assistant", content: "hello" },
      ],
    });
    expect(out.system).toEqual([
      { type: "text", text: "A" },
      { type: "text", text: "B" },
      { type: "text", text: "C" },
    ]);
    expect(out.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ]);
    expect(requestBody({ model: "m", messages: [{ role: "user", content: "hi" }] })).not.toHaveProperty("system");
    expect(requestBody({ model: "m", messages: [{ role: "system", content: "" }, { role: "user", content: "hi" }] })).not.toHaveProperty("system");
  });

  it("assistant tool_calls → text then tool_use blocks; consecutive tool messages → one user turn of tool_results", () => {
    const out = requestBody({
      model: "m",
      messages: [
        { role: "user", content: "two orders" },
        {
          role: "assistant",
          content: "Looking both up.",
          refusal: null,
          name: "bot",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1"}' } },
            { id: "call_2", type: "function", function: { name: "lookup_order", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "in transit" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "delivered" }] },
        { role: "user", content: "thanks" },
        { role: "tool", tool_call_id: "call_3", content: "late" },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "two orders" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking both up." },
          { type: "tool_use", id: "call_1", name: "lookup_order", input: { order_id: "A-1" } },
          { type: "tool_use", id: "call_2", name: "lookup_order", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "in transit" },
          { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "delivered" }] },
        ],
      },
      { role: "user", content: "thanks" },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_3", content: "late" }] },
    ]);
  });

  it("images: data URLs → base64 blocks, http(s) URLs → url sources; detail dropped", () => {
    const out = requestBody({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/jpg;base64,AAAA", detail: "high" } },
            { type: "image_url", image_url: { url: "https://example.com/label.webp" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
          ],
        },
      ],
    });
    expect(out.messages[0].content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "AAAA" } },
      { type: "image", source: { type: "url", url: "https://example.com/label.webp" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
    ]);
  });

  it("tool_choice: auto/required/none/function/allowed_tools, parallel_tool_calls: false", () => {
    const tools = ["a", "b"].map((name) => ({ type: "function", function: { name } }));
    const base = { model: "m", messages: [{ role: "user", content: "x" }], tools };
    const choice = (extra: Json): unknown => requestBody({ ...base, ...extra }).tool_choice;
    expect(choice({ tool_choice: "auto" })).toEqual({ type: "auto" });
    expect(choice({ tool_choice: "required" })).toEqual({ type: "any" });
    expect(choice({ tool_choice: "none" })).toEqual({ type: "none" });
    expect(choice({ tool_choice: "none", parallel_tool_calls: false })).toEqual({ type: "none" });
    expect(choice({ tool_choice: { type: "function", function: { name: "b" } } })).toEqual({ type: "tool", name: "b" });
    expect(choice({ parallel_tool_calls: false })).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(choice({ parallel_tool_calls: true })).toBeUndefined();
    expect(choice({ tool_choice: "required", parallel_tool_calls: false })).toEqual({ type: "any", disable_parallel_tool_use: true });
    const allowed = requestBody({ ...base, tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "b" } }] } } });
    expect(allowed.tools).toEqual([{ name: "b", input_schema: { type: "object", properties: {} } }]);
    expect(allowed.tool_choice).toEqual({ type: "any" });
    // No tools: neither tools nor tool_choice.
    const none = requestBody({ model: "m", messages: [{ role: "user", content: "x" }], tool_choice: "auto" });
    expect(none).not.toHaveProperty("tools");
    expect(none).not.toHaveProperty("tool_choice");
  });

  it("stop string → [string]; user → metadata.user_id; json_schema → output_config; dropped knobs are absent", () => {
    const out = requestBody({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stop: "END",
      user: "u-1",
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      logit_bias: { "50256": -100 },
      store: true,
      metadata: { a: "b" },
      service_tier: "auto",
      reasoning_effort: "low",
      prompt_cache_key: "k",
      verbosity: "low",
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: "json_schema", json_schema: { name: "o", schema: { type: "object" } } },
    });
    expect(out).toEqual({
      model: "claude-sonnet-4-6",
      max_tokens: 4096,
      messages: [{ role: "user", content: "x" }],
      stop_sequences: ["END"],
      metadata: { user_id: "u-1" },
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      stream: true,
    });
  });

  it("refuses with 400 what Anthropic cannot answer", () => {
    const base = { model: "m", messages: [{ role: "user", content: "x" }] };
    const cases: Json[] = [
      { ...base, n: 2 },
      { ...base, logprobs: true },
      { ...base, top_logprobs: 3 },
      { ...base, modalities: ["text", "audio"] },
      { ...base, response_format: { type: "json_object" } },
      { ...base, tools: [{ type: "custom", custom: { name: "x" } }] },
      { model: "m", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AA", format: "wav" } }] }] },
      { model: "m", messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] },
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,AA" } }] }] },
      { model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }] }] },
      { model: "m", messages: [{ role: "tool", content: "no id" }] },
      { model: "m", messages: [{ role: "narrator", content: "x" }] },
      { model: "m", messages: "x" },
    ];
    for (const body of cases) {
      let err: unknown;
      try {
        anthropicTranslator.request(body as OpenAIChatRequest, ctx());
      } catch (e) {
        err = e;
      }
      expect(HttpError.is(err), JSON.stringify(body)).toBe(true);
      expect((err as HttpError).status).toBe(400);
      expect((err as HttpError).type).toBe("invalid_request_error");
    }
  });

  it("exports the body builder used by request()", () => {
    expect(anthropicBody(json("openai/chat.request.json") as OpenAIChatRequest, ctx())).toEqual(requestBody(json("openai/chat.request.json")));
  });
});

// ---------------------------------------------------------------- responses

describe("response: Anthropic message → OpenAI chat.completion", () => {
  it("messages.response.json → chat.completion with text and tool_calls", () => {
    const out = anthropicTranslator.response(json("anthropic/messages.response.json"), ctx());
    expect(out).toEqual({
      id: "chatcmpl-aigw0001",
      object: "chat.completion",
      created: 1795356201,
      model: "claude-sonnet-4-6",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "I'll look up order A-1042 for you.",
            refusal: null,
            tool_calls: [{ id: "toolu_01Ab3CdEf4GhIj5KlMn6OpQr", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1042"}' } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 64 + 0 + 1490,
        completion_tokens: 71,
        total_tokens: 1625,
        prompt_tokens_details: { cached_tokens: 1490, cache_write_tokens: 0 },
      },
    });
    // The same shape as OpenAI's own tool-call answer.
    const openai = json("openai/chat.tools.response.json");
    const choice = (out.choices as Json[])[0]!;
    for (const k of ["index", "message", "logprobs", "finish_reason"]) expect(choice).toHaveProperty(k);
    expect(Object.keys(choice.message.tool_calls[0]).sort()).toEqual(Object.keys(openai.choices[0].message.tool_calls[0]).sort());
    expect(JSON.parse(choice.message.tool_calls[0].function.arguments)).toEqual(JSON.parse(openai.choices[0].message.tool_calls[0].function.arguments));
  });

  it("maps every stop_reason (table 1.5), with content null when there is no text", () => {
    const table: [string, string][] = [
      ["end_turn", "stop"],
      ["stop_sequence", "stop"],
      ["max_tokens", "length"],
      ["tool_use", "tool_calls"],
      ["model_context_window_exceeded", "length"],
      ["refusal", "content_filter"],
      ["pause_turn", "stop"],
      ["a_future_reason", "stop"],
    ];
    for (const [reason, finish] of table) {
      const out = anthropicTranslator.response({ id: "msg_1", type: "message", model: "m", content: [{ type: "thinking", thinking: "…" }], stop_reason: reason, usage: {} }, ctx());
      const c = (out.choices as Json[])[0]!;
      expect(c.finish_reason).toBe(finish);
      expect(c.message.content).toBeNull();
      expect(c.message).not.toHaveProperty("tool_calls");
    }
  });

  it("usage(body): prompt = input + cache creation + cache read; null without usage", () => {
    expect(anthropicTranslator.usage(json("anthropic/messages.response.json"))).toEqual({ inputTokens: 1554, outputTokens: 71 });
    expect(anthropicTranslator.usage({ usage: { input_tokens: 5, cache_creation_input_tokens: 7, output_tokens: 2 } })).toEqual({ inputTokens: 12, outputTokens: 2 });
    expect(anthropicTranslator.usage({ type: "message" })).toBeNull();
    expect(anthropicTranslator.usage("nope")).toBeNull();
  });
});

// ---------------------------------------------------------------- streams

describe("stream: Anthropic SSE → OpenAI chunks", () => {
  it("messages.stream.sse with include_usage: role, text deltas, finish, usage chunk, [DONE]", () => {
    const r = run(whole(fixture("anthropic/messages.stream.sse")), ctx({ includeUsage: true }));
    const events = parseOpenAiSse(r.text);
    const env = { id: "chatcmpl-aigw0001", object: "chat.completion.chunk", created: 1795356201, model: "claude-sonnet-4-6" };
    const c = (delta: Json, finish: string | null = null): Json => ({ ...env, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
    expect(events).toEqual([
      c({ role: "assistant", content: "" }),
      c({ content: "Order A-1042" }),
      c({ content: " left the Denver hub at 06:10" }),
      c({ content: " today and is due on Thursday." }),
      c({}, "stop"),
      { ...env, choices: [], usage: { prompt_tokens: 512, completion_tokens: 21, total_tokens: 533, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } } },
      "[DONE]",
    ]);
    expect(r.failed).toBe(false);
    expect(r.usage).toEqual({ inputTokens: 512, outputTokens: 21 });

    // Semantically the same stream as OpenAI's recording of this answer.
    const openai = parseOpenAiSse(fixture("openai/chat.stream.sse").toString("utf8"));
    const theirs = accumulate(chunksOf(openai));
    const ours = accumulate(chunksOf(events));
    expect(ours).toEqual(theirs);
    expect(ours.content).toBe(json("openai/chat.response.json").choices[0].message.content);
    // Every chunk key we send is one OpenAI sends; usage null on all but the usage chunk, as OpenAI does.
    const keys = new Set(chunksOf(openai).flatMap((e) => Object.keys(e)));
    for (const e of chunksOf(events)) for (const k of Object.keys(e)) expect(keys.has(k)).toBe(true);
    expect(chunksOf(openai).filter((e) => e.usage !== null)).toHaveLength(1);
    expect(chunksOf(events).filter((e) => e.usage !== null)).toHaveLength(1);
  });

  it("without include_usage: no usage key, no usage chunk, still [DONE]; usage() still reports", () => {
    const r = run(whole(fixture("anthropic/messages.stream.sse")), ctx({ includeUsage: false }));
    const events = parseOpenAiSse(r.text);
    expect(events).toHaveLength(6);
    expect(events.at(-1)).toBe("[DONE]");
    for (const e of chunksOf(events)) {
      expect(e).not.toHaveProperty("usage");
      expect(e.choices).toHaveLength(1);
    }
    expect(r.usage).toEqual({ inputTokens: 512, outputTokens: 21 });
  });

  it("messages.tools.stream.sse: tool_calls deltas at index 0 (not Anthropic's block index 1) that concatenate to the arguments", () => {
    const r = run(whole(fixture("anthropic/messages.tools.stream.sse")), ctx({ includeUsage: true }));
    const events = parseOpenAiSse(r.text);
    const deltas = chunksOf(events)
      .filter((e) => (e.choices as Json[]).length > 0)
      .map((e) => (e.choices as Json[])[0]!.delta);
    expect(deltas).toEqual([
      { role: "assistant", content: "" },
      { content: "I'll look up" },
      { content: " order A-1042 for you." },
      { tool_calls: [{ index: 0, id: "toolu_01Ab3CdEf4GhIj5KlMn6OpQr", type: "function", function: { name: "lookup_order", arguments: "" } }] },
      // the empty first partial_json is skipped
      { tool_calls: [{ index: 0, function: { arguments: '{"order_' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'id": "A-10' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '42"}' } }] },
      {},
    ]);
    const acc = accumulate(chunksOf(events));
    expect(acc.finish_reason).toBe("tool_calls");
    expect(JSON.parse(acc.tool_calls[0]!.function.arguments)).toEqual(json("anthropic/messages.response.json").content[1].input);
    // The streamed answer accumulates to the non-streamed translation of the same message…
    const plain = (anthropicTranslator.response(json("anthropic/messages.response.json"), ctx()).choices as Json[])[0]!;
    expect(acc.content).toBe(plain.message.content);
    expect(acc.tool_calls.map((t) => ({ ...t, function: { ...t.function, arguments: JSON.parse(t.function.arguments) } }))).toEqual(
      (plain.message.tool_calls as Json[]).map((t) => ({ ...t, function: { ...t.function, arguments: JSON.parse(t.function.arguments) } })),
    );
    // …and has the structure of OpenAI's own tool-call stream.
    const openai = accumulate(chunksOf(parseOpenAiSse(fixture("openai/chat.tools.stream.sse").toString("utf8"))));
    expect(openai.finish_reason).toBe(acc.finish_reason);
    expect(openai.tool_calls.map((t) => Object.keys(t).sort())).toEqual(openai.tool_calls.map(() => Object.keys(acc.tool_calls[0]!).sort()));
    expect(openai.tool_calls.map((t) => JSON.parse(t.function.arguments))).toEqual(
      json("openai/chat.tools.response.json").choices[0].message.tool_calls.map((t: Json) => JSON.parse(t.function.arguments)),
    );
    expect(chunksOf(events).at(-1)!.usage).toEqual({
      prompt_tokens: 1554,
      completion_tokens: 71,
      total_tokens: 1625,
      prompt_tokens_details: { cached_tokens: 1490, cache_write_tokens: 0 },
    });
    expect(r.usage).toEqual({ inputTokens: 1554, outputTokens: 71 });
  });

  it("numbers several tool calls 0, 1, … and sends {} for a call without arguments", () => {
    const body = sse(
      messageStart(),
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "t1", name: "a", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"x":1}' } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "t2", name: "b", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "" } },
      { type: "content_block_stop", index: 2 },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } },
      { type: "message_stop" },
    );
    const events = parseOpenAiSse(run(whole(body)).text);
    const acc = accumulate(chunksOf(events));
    expect(acc.content).toBeNull();
    expect(acc.tool_calls).toEqual([
      { id: "t1", type: "function", function: { name: "a", arguments: '{"x":1}' } },
      { id: "t2", type: "function", function: { name: "b", arguments: "{}" } },
    ]);
    expect(chunksOf(events)[0]!.model).toBe("claude-haiku-4-5");
  });

  it("error.stream.sse: the mid-stream error becomes a final error event, no [DONE], failed()", () => {
    const r = run(whole(fixture("anthropic/error.stream.sse")), ctx({ includeUsage: true }));
    const events = parseOpenAiSse(r.text);
    expect(events).not.toContain("[DONE]");
    expect(events.at(-1)).toEqual({ error: { message: "Overloaded", type: "service_unavailable_error", param: null, code: "server_is_overloaded" } });
    expect(accumulate(chunksOf(events)).content).toBe("Order A-1042");
    expect(events.filter((e) => e !== "[DONE]" && e.error !== undefined)).toHaveLength(1);
    expect(r.failed).toBe(true);
    expect(r.usage).toEqual({ inputTokens: 512, outputTokens: 2 });
  });

  it("a stream cut before message_stop (or mid-event, or empty) ends with an error event and no [DONE]", () => {
    const full = fixture("anthropic/messages.stream.sse").toString("utf8");
    const cuts = [
      full.slice(0, full.indexOf("event: message_stop")),
      full.slice(0, full.indexOf("event: message_delta")),
      full.slice(0, full.indexOf("event: message_delta") + 40),
      full.slice(0, 10),
      "",
    ];
    for (const cut of cuts) {
      for (const includeUsage of [true, false]) {
        const r = run(whole(Buffer.from(cut)), ctx({ includeUsage }));
        const events = parseOpenAiSse(r.text);
        expect(events).not.toContain("[DONE]");
        expect(events.at(-1)).toEqual({ error: { message: expect.any(String), type: "server_error", param: null, code: "stream_truncated" } });
        expect(chunksOf(events).every((e) => (e.choices as Json[]).length > 0)).toBe(true); // no usage chunk
        expect(r.failed).toBe(true);
      }
    }
    const r = run(whole(Buffer.from(cuts[0]!)));
    expect(r.usage).toEqual({ inputTokens: 512, outputTokens: 21 });
    expect(accumulate(chunksOf(parseOpenAiSse(r.text))).finish_reason).toBe("stop");
    expect(run(whole(Buffer.from(""))).usage).toBeNull();
  });

  it("a final message_stop without its blank line still completes the stream", () => {
    const full = fixture("anthropic/messages.stream.sse").toString("utf8");
    const r = run(whole(Buffer.from(full.slice(0, -2))));
    expect(parseOpenAiSse(r.text).at(-1)).toBe("[DONE]");
    expect(r.failed).toBe(false);
  });

  it("gives identical output fed whole, one byte at a time and in random splits", () => {
    for (const name of STREAMS) {
      for (const includeUsage of [true, false]) {
        const body = fixture(name);
        const c = ctx({ includeUsage });
        const reference = run(whole(body), c);
        expect(run(bytewise(body), c)).toMatchObject({ text: reference.text, failed: reference.failed, usage: reference.usage });
        for (let seed = 1; seed <= 25; seed++) {
          expect(run(randomSplit(body, seed), c).text, `${name} seed ${seed}`).toBe(reference.text);
        }
      }
    }
  });

  it("keeps multi-byte UTF-8 characters whole when they are split across chunks", () => {
    const text = "Zürich → 東京 🚚 done";
    const body = sse(
      messageStart(),
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: text.slice(0, 9) } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: text.slice(9) } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } },
      { type: "message_stop" },
    );
    // Cut inside the 4-byte truck emoji and inside a 3-byte CJK character.
    const truck = body.indexOf(Buffer.from("🚚"));
    const kyo = body.indexOf(Buffer.from("東"));
    const parts = [body.subarray(0, kyo + 1), body.subarray(kyo + 1, truck + 2), body.subarray(truck + 2, truck + 3), body.subarray(truck + 3)];
    for (const split of [parts, bytewise(body)]) {
      const r = run(split);
      expect(accumulate(chunksOf(parseOpenAiSse(r.text))).content).toBe(text);
      expect(r.text).not.toContain("\uFFFD");
    }
  });

  it("accepts CRLF line endings, ignores ping, comments and unknown events", () => {
    const plain = fixture("anthropic/messages.stream.sse").toString("utf8");
    const reference = run(whole(Buffer.from(plain))).text;
    expect(run(bytewise(Buffer.from(plain.replace(/\n/g, "\r\n")))).text).toBe(reference);
    const noisy = plain
      .replace("event: content_block_stop", ": keep-alive\n\nevent: future_event\ndata: {\"type\":\"future_event\",\"x\":1}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\nevent: content_block_stop");
    expect(run(whole(Buffer.from(noisy))).text).toBe(reference);
  });

  it("ignores everything after message_stop or an error; push() after the end yields nothing", () => {
    const t = anthropicTranslator.stream(ctx());
    const first = Buffer.concat(t.push(fixture("anthropic/error.stream.sse"))).toString("utf8");
    expect(t.push(fixture("anthropic/messages.stream.sse"))).toEqual([]);
    expect(t.end()).toEqual([]);
    expect(parseOpenAiSse(first).at(-1)).toHaveProperty("error");
    const ok = anthropicTranslator.stream(ctx());
    const body = fixture("anthropic/messages.stream.sse");
    const out = Buffer.concat([...ok.push(body), ...ok.push(sse({ type: "error", error: { type: "api_error", message: "late" } })), ...ok.end()]).toString("utf8");
    expect(parseOpenAiSse(out).at(-1)).toBe("[DONE]");
    expect(ok.failed()).toBe(false);
  });

  it("sends the finish chunk when message_delta arrives and uses the last (cumulative) message_delta usage", () => {
    const body = sse(
      messageStart({ input_tokens: 100, cache_read_input_tokens: 20, output_tokens: 1 }),
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 5 } },
      { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { input_tokens: 0, output_tokens: 8, output_tokens_details: { thinking_tokens: 3 } } },
      { type: "message_stop" },
    );
    const t = anthropicTranslator.stream(ctx({ includeUsage: true }));
    const parts = body.toString("utf8").split(/(?<=\n\n)/).map((s) => Buffer.from(s));
    const outs = parts.map((p) => Buffer.concat(t.push(p)).toString("utf8"));
    // The finish chunk goes out with the first message_delta, not held for message_stop.
    expect(parseOpenAiSse(outs[4]!)).toEqual([expect.objectContaining({ choices: [expect.objectContaining({ finish_reason: "length" })] })]);
    expect(outs[5]).toBe("");
    const last = parseOpenAiSse(outs[6]!);
    expect(last[0]).toMatchObject({ choices: [], usage: { prompt_tokens: 120, completion_tokens: 8, total_tokens: 128, completion_tokens_details: { reasoning_tokens: 3 } } });
    expect(last[1]).toBe("[DONE]");
    expect(t.end()).toEqual([]);
    expect(t.usage()).toEqual({ inputTokens: 120, outputTokens: 8 });
  });
});

// ---------------------------------------------------------------- errors

describe("errors: Anthropic HTTP errors → OpenAI shape (table 1.9)", () => {
  const cases = json("anthropic/error.json");
  const expected: Record<string, [status: number, type: string, code: string | null]> = {
    "400_invalid_request_error": [400, "invalid_request_error", null],
    "400_sampling_param_on_2026_10_21": [400, "invalid_request_error", null],
    "401_authentication_error": [401, "invalid_request_error", "invalid_api_key"],
    "402_billing_error": [429, "insufficient_quota", "insufficient_quota"],
    "403_permission_error": [403, "permission_error", null],
    "404_not_found_error": [404, "invalid_request_error", "model_not_found"],
    "413_request_too_large": [413, "invalid_request_error", "request_too_large"],
    "429_rate_limit_error": [429, "tokens", "rate_limit_exceeded"],
    "500_api_error": [500, "server_error", null],
    "504_timeout_error": [504, "timeout_error", null],
    "529_overloaded_error": [503, "service_unavailable_error", "server_is_overloaded"],
  };

  it("covers every case in error.json", () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [name, [status, type, code]] of Object.entries(expected)) {
    it(`${name} → ${status} ${type}${code === null ? "" : ` / ${code}`}`, () => {
      const c = cases[name] as Json;
      const out = anthropicTranslator.error(c.status, c.body, c.headers);
      expect(out).toEqual({ status, body: { error: { message: c.body.error.message, type, param: null, code } } });
      // The same answer whether the body arrives parsed, as text or as bytes.
      expect(anthropicTranslator.error(c.status, JSON.stringify(c.body), c.headers)).toEqual(out);
      expect(anthropicTranslator.error(c.status, Buffer.from(JSON.stringify(c.body)), c.headers)).toEqual(out);
    });
  }

  it("matches OpenAI's own bodies for auth failures and overload", () => {
    const openai = json("openai/error.json");
    const pick = (e: Json): Json => ({ type: e.error.type, code: e.error.code, param: e.error.param });
    const auth = anthropicTranslator.error(401, cases["401_authentication_error"].body, {});
    expect(pick(auth.body)).toEqual(pick(openai["401_invalid_api_key"].body));
    expect(auth.status).toBe(openai["401_invalid_api_key"].status);
    const over = anthropicTranslator.error(529, cases["529_overloaded_error"].body, {});
    expect(pick(over.body)).toEqual(pick(openai["503_server_is_overloaded"].body));
    expect(over.status).toBe(openai["503_server_is_overloaded"].status);
    const quota = anthropicTranslator.error(402, cases["402_billing_error"].body, {});
    expect(pick(quota.body)).toEqual(pick(openai["429_insufficient_quota"].body));
  });

  it("context-length 400s get OpenAI's code; non-JSON bodies fall back on the status", () => {
    const long = anthropicTranslator.error(400, { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 208310 tokens > 200000 maximum" } }, {});
    expect(long.body.error.code).toBe("context_length_exceeded");
    const html = anthropicTranslator.error(502, "<html>Bad Gateway</html>", {});
    expect(html).toEqual({ status: 502, body: { error: { message: "the Anthropic upstream answered HTTP 502", type: "server_error", param: null, code: null } } });
    expect(anthropicTranslator.error(529, "", {}).status).toBe(503);
    expect(anthropicTranslator.error(418, null, {})).toMatchObject({ status: 418, body: { error: { type: "invalid_request_error" } } });
    expect(anthropicTranslator.error(409, { type: "error", error: { type: "conflict_error", message: "c" } }, {}).status).toBe(409);
  });
});
