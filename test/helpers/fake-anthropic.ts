import { readFileSync } from "node:fs";
import { FakeUpstream } from "./fake-upstream.js";

const dir = new URL("../fixtures/ai/anthropic/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, dir), "utf8");

/**
 * A fake Anthropic Messages API replaying the recorded wire formats
 * (test/fixtures/ai/anthropic): JSON answers, the SSE event sequence (text,
 * or tool use when the request has tools). `status` makes it fail with the
 * matching recorded error.
 */
export async function fakeAnthropic(options: { failWith?: number } = {}): Promise<FakeUpstream> {
  const errors = JSON.parse(fixture("error.json")) as Record<string, { status: number; body: unknown }>;
  return new FakeUpstream((req, res, body) => {
    if (options.failWith !== undefined) {
      const e = Object.values(errors).find((x) => x.status === options.failWith)!;
      res.writeHead(e.status, { "content-type": "application/json" });
      res.end(JSON.stringify(e.body));
      return;
    }
    const parsed = JSON.parse(body || "{}") as { stream?: boolean; tools?: unknown[] };
    const tools = Array.isArray(parsed.tools) && parsed.tools.length > 0;
    if (parsed.stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "request-id": "req_fake" });
      res.end(fixture(tools ? "messages.tools.stream.sse" : "messages.stream.sse"));
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "request-id": "req_fake" });
    res.end(fixture("messages.response.json"));
    void req;
  }).start();
}
