import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompletionAssembler } from "../../src/cache/completion.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { sample } from "../helpers/prometheus.js";

/**
 * An upstream's stream may carry events of any JSON shape. On a cached
 * route the gateway also assembles the stream into a completion: an event
 * it cannot assemble (`null`, a number, a `choices` entry or `tool_calls`
 * that is not an object or a list) is passed on to the client and left
 * out of the completion. It never breaks the client's stream.
 */
const ODD = ["null", "5", '"text"', "[1,2]", '{"choices":[null]}', '{"choices":{}}', '{"choices":[{"delta":null}]}', '{"choices":[{"delta":{"tool_calls":{}}}]}', '{"choices":[{"delta":{"tool_calls":[null,7]}}]}'];
const chunk = (delta: object, finish: string | null = null): string => JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] });
const EVENTS = [chunk({ role: "assistant", content: "" }), ...ODD, chunk({ content: "hello" }), chunk({}, "stop"), JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })];
const STREAM = EVENTS.map((e) => `data: ${e}\n\n`).join("") + "data: [DONE]\n\n";

describe("CompletionAssembler", () => {
  it("assembles the completion from the well-formed chunks and skips the others", () => {
    const assembler = new CompletionAssembler();
    assembler.push(Buffer.from(STREAM));
    const completion = assembler.completion() as { choices: { message: { content: string }; finish_reason: string }[]; usage: unknown };
    expect(completion.choices[0]!.message.content).toBe("hello");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
  });
});

let up: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await new FakeUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(STREAM);
  }).start();
  gw = await startTestGateway(`version: 1
upstreams: [{ name: openai, type: openai, targets: [{ url: "${up.url}" }] }]
routes: [{ name: chat, match: { path: /v1/chat/completions }, upstream: openai, cache: { ttl: 1m } }]
`);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe("a cached route's stream with events of odd shapes", () => {
  it("reaches the client whole, is cached from its well-formed chunks, and leaves no stream open", async () => {
    const ask = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", stream: true, temperature: 0, messages: [{ role: "user", content: "hi" }] }),
      });
    const first = await ask();
    expect(first.status).toBe(200);
    expect(first.headers.get("x-aigw-cache")).toBe("miss");
    const text = await first.text();
    for (const odd of ODD) expect(text).toContain(`data: ${odd}\n\n`);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);

    const second = await ask();
    expect(second.headers.get("x-aigw-cache")).toBe("hit");
    expect(await second.text()).toContain('"content":"hello"');
    expect(up.requests).toHaveLength(1);

    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(sample(metrics, "aigw_active_streams")).toBe(0);
  });
});
