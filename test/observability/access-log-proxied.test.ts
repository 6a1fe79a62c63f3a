import { afterEach, describe, expect, it } from "vitest";
import { accessLine as accessLineOf } from "../helpers/access-line.js";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

// The access line of a proxied request is written when the client's
// response closes; what the relay counted (bytes sent, time in the
// upstream exchange) must be on the context by then.
let gw: TestGateway | null = null;
const ups: FakeUpstream[] = [];
afterEach(async () => {
  await gw?.close();
  gw = null;
  for (const u of ups.splice(0)) await u.close();
});

/** A real upstream answering with `handler`, and a gateway with one catch-all route to it. */
async function proxyTo(handler: ConstructorParameters<typeof FakeUpstream>[0]): Promise<TestGateway> {
  const up = await new FakeUpstream(handler).start();
  ups.push(up);
  gw = await startTestGateway(`version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
  return gw;
}

/** The access line of `requestId` on the current gateway, once written. */
const accessLine = (requestId: string): Promise<Record<string, unknown>> => accessLineOf(gw!, requestId);

describe("access log of proxied requests", () => {
  it("counts the bytes sent and the upstream time of a plain JSON answer", async () => {
    const body = JSON.stringify({ ok: true, pad: "x".repeat(500) });
    const g = await proxyTo((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    const res = await fetch(`${g.url}/a`, { method: "POST", body: "hello", headers: { "x-request-id": "plain-1" } });
    expect(await res.text()).toBe(body);
    const line = await accessLine("plain-1");
    expect(line.status).toBe(200);
    expect(line.bytesIn).toBe(5);
    expect(line.bytesOut).toBe(Buffer.byteLength(body));
    expect(line.upstreamMs).toBeGreaterThan(0);
    expect(line.upstreamMs as number).toBeLessThanOrEqual(line.durationMs as number);
  });

  it("counts every byte of a streamed answer", async () => {
    const chunks = Array.from({ length: 5 }, (_, i) => `data: {"n":${i}}\n\n`);
    const g = await proxyTo(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const c of chunks) {
        res.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end();
    });
    const res = await fetch(`${g.url}/s`, { headers: { "x-request-id": "sse-1" } });
    expect(await res.text()).toBe(chunks.join(""));
    const line = await accessLine("sse-1");
    expect(line.bytesOut).toBe(Buffer.byteLength(chunks.join("")));
    expect(line.upstreamMs as number).toBeGreaterThanOrEqual(20);
  });

  it("counts the bytes of an AI answer read for usage", async () => {
    const up = await fakeOpenAI();
    ups.push(up);
    gw = await startTestGateway(`version: 1
upstreams:
  - { name: oai, type: openai, targets: [{ url: "${up.url}" }], credentials: { apiKey: sk-test } }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: oai }
`);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "ai-1" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    const line = await accessLine("ai-1");
    expect(line.bytesOut).toBe(Buffer.byteLength(text));
    expect(line.upstreamMs).toBeGreaterThan(0);
  });
});
