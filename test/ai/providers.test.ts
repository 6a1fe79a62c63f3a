import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAiStream } from "../../src/ai/openai/stream.js";
import type { TranslateContext } from "../../src/ai/types.js";
import { fakeBedrock, type FakeBedrock } from "../helpers/fake-bedrock.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const fixture = (path: string): string => readFileSync(new URL(`../fixtures/ai/${path}`, import.meta.url), "utf8");

const ctx = (includeUsage: boolean): TranslateContext => ({ model: "m", defaultMaxTokens: 4096, nowSeconds: 1, id: "chatcmpl-x", includeUsage });

function runStream(text: string, includeUsage: boolean, split = 0): { out: string; failed: boolean; usage: unknown } {
  const t = openAiStream(ctx(includeUsage));
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  if (split === 0) out.push(...t.push(bytes));
  else for (let i = 0; i < bytes.length; i += split) out.push(...t.push(bytes.subarray(i, i + split)));
  out.push(...t.end());
  return { out: Buffer.concat(out).toString(), failed: t.failed(), usage: t.usage() };
}

const events = (sse: string): string[] => sse.split("\n\n").filter((e) => e.trim() !== "").map((e) => e.replace(/^data: /, ""));

describe("OpenAI-shaped stream conformance (OpenAI and Ollama transcripts)", () => {
  it.each([
    ["openai/chat.stream.sse", true],
    ["ollama/chat.stream.sse", true],
  ])("%s: normal end with the usage chunk kept when the client asked, dropped when the gateway asked", (file, hasUsage) => {
    const text = file.startsWith("openai") ? fixture(file) : fixture(file);
    const kept = runStream(text, true);
    expect(kept.out).toBe(text);
    expect(kept.failed).toBe(false);
    expect(kept.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    const dropped = runStream(text, false);
    const droppedEvents = events(dropped.out);
    expect(droppedEvents.at(-1)).toBe("[DONE]");
    expect(droppedEvents.some((e) => e !== "[DONE]" && (JSON.parse(e) as { choices: unknown[] }).choices.length === 0)).toBe(!hasUsage);
    expect(dropped.usage).toEqual(kept.usage);
    expect(runStream(text, false, 1).out).toBe(dropped.out);
    expect(runStream(text, false, 7).out).toBe(dropped.out);
  });

  it("tool-call deltas pass through unchanged (Ollama sends each call whole)", () => {
    const text = fixture("ollama/chat.tools.stream.sse");
    const r = runStream(text, true, 3);
    expect(r.out).toBe(text);
    expect(r.failed).toBe(false);
  });

  it("a mid-stream error event marks the stream failed and adds no [DONE]", () => {
    const lines = fixture("openai/chat.stream.sse").split("\n\n").filter((e) => e !== "");
    const text = [...lines.slice(0, 3), 'data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":"server_is_overloaded"}}'].join("\n\n") + "\n\n";
    const r = runStream(text, false);
    expect(r.failed).toBe(true);
    expect(r.out).not.toContain("[DONE]");
    expect(r.out).toContain('"server_is_overloaded"');
  });

  it("a truncated stream ends with an error event, never a clean [DONE]", () => {
    const text = fixture("openai/chat.stream.sse");
    const cut = text.slice(0, text.indexOf("finish_reason") + 10);
    const r = runStream(cut, false);
    expect(r.failed).toBe(true);
    expect(r.out).not.toContain("[DONE]");
    expect(events(r.out).at(-1)).toContain('"stream_truncated"');
  });
});

describe("Bedrock through the gateway (SigV4 checked by a fake that recomputes it with AWS's signer)", () => {
  let bedrock: FakeBedrock;
  let gw: TestGateway;
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-123" };

  beforeAll(async () => {
    bedrock = await fakeBedrock({ credentials, region: "us-east-1" });
    gw = await startTestGateway(
      `version: 1
upstreams:
  - name: bedrock
    type: bedrock
    region: us-east-1
    targets: [{ url: "${bedrock.url}" }]
    credentials: { accessKeyId: "\${AWS_ACCESS_KEY_ID}", secretAccessKey: "\${AWS_SECRET_ACCESS_KEY}", sessionToken: "\${AWS_SESSION_TOKEN}" }
    models: [anthropic.claude-3-5-sonnet-20240620-v1:0]
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: bedrock }
`,
      { env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken } },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await bedrock?.close();
  });

  const client = () => new OpenAI({ apiKey: "unused", baseURL: `${gw.url}/v1`, maxRetries: 0 });

  it("chat (plain) is signed, verified and translated back", async () => {
    const res = await client().chat.completions.create({ model: "anthropic.claude-3-5-sonnet-20240620-v1:0", messages: [{ role: "user", content: "Where is my order?" }] });
    expect(bedrock.requests.at(-1)!.verified).toBe(true);
    expect(bedrock.requests.at(-1)!.operation).toBe("converse");
    expect(bedrock.requests.at(-1)!.modelId).toBe("anthropic.claude-3-5-sonnet-20240620-v1:0");
    expect(res.object).toBe("chat.completion");
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("chat (streaming) over the binary event stream", async () => {
    const stream = await client().chat.completions.create({ model: "anthropic.claude-3-5-sonnet-20240620-v1:0", stream: true, messages: [{ role: "user", content: "Hi" }] });
    let finish: string | null | undefined;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    expect(bedrock.requests.at(-1)!.operation).toBe("converse-stream");
    expect(bedrock.requests.at(-1)!.verified).toBe(true);
    expect(finish).toBeDefined();
  });
});
