import { FakeUpstream } from "./fake-upstream.js";

/**
 * A fake OpenAI Chat Completions upstream speaking the real wire format
 * (shapes of ../shared/fixtures/providers/openai): JSON answers with
 * `usage`, and SSE streams whose last chunk carries `usage` when the request
 * asks `stream_options.include_usage`. Each answer reports `promptTokens`
 * and `completionTokens`.
 */
export async function fakeOpenAI(usage = { promptTokens: 100, completionTokens: 20 }): Promise<FakeUpstream> {
  return new FakeUpstream((req, res, body) => {
    const parsed = JSON.parse(body || "{}") as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const model = parsed.model ?? "gpt-4o";
    const u = { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
    const base = { id: "chatcmpl-fake", created: 1795356191, model };
    if (parsed.stream !== true) {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_fake" });
      res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "Hello there.", refusal: null }, logprobs: null, finish_reason: "stop" }], usage: u }));
      return;
    }
    const withUsage = parsed.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...(withUsage ? { usage: null } : {}), ...extra })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }]));
    res.write(chunk([{ index: 0, delta: { content: "Hello" }, logprobs: null, finish_reason: null }]));
    res.write(chunk([{ index: 0, delta: { content: " there." }, logprobs: null, finish_reason: null }]));
    res.write(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]));
    if (withUsage) res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage: u })}\n\n`);
    res.end("data: [DONE]\n\n");
    void req;
  }).start();
}
