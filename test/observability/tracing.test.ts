import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessLine } from "../helpers/access-line.js";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import { closedPort, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { OtlpReceiver, type ReceivedSpan } from "../helpers/otlp-receiver.js";

// A trace the client started (W3C trace context), sampled.
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";
const PROMPT = "a prompt that must never reach a span";

const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;
let openai: FakeUpstream;
let broken: FakeUpstream;
let gw: TestGateway;
let quiet: TestGateway;

const chat = (url: string, headers: Record<string, string> = {}, model = "gpt-4o") =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: PROMPT }] }),
  });

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  openai = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
  broken = await fakeOpenAI();
  broken.handler = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "overloaded", type: "server_error", param: null, code: "server_is_overloaded" } }));
  };
  const [down1, down2] = [await closedPort(), await closedPort()];
  const upstreams = `upstreams:
  - { name: primary, type: openai, targets: [{ url: "http://127.0.0.1:${down1}" }, { url: "http://127.0.0.1:${down2}" }], retries: { attempts: 1 } }
  - { name: overloaded, type: openai, targets: [{ url: "${broken.url}" }], retries: { attempts: 0 } }
  - { name: backup, type: openai, targets: [{ url: "${openai.url}" }] }
routes:
  - { name: chat, match: { path: /v1/chat/completions }, upstream: primary, fallback: [overloaded, backup] }
  - { name: plain, match: { pathPrefix: /svc }, upstream: backup }
`;
  gw = await startTestGateway(`version: 1
observability:
  tracing: { otlpEndpoint: "${receiver.url}", sampleRatio: 1, serviceName: aigw-test, headers: { x-collector-key: collector-secret } }
${upstreams}`);
  quiet = await startTestGateway(`version: 1
observability:
  tracing: { otlpEndpoint: "${receiver.url}", sampleRatio: 0, serviceName: aigw-quiet }
${upstreams}`);
});

afterAll(async () => {
  await gw?.close();
  await quiet?.close();
  await Promise.all([receiver?.close(), openai?.close(), broken?.close()]);
});

const ofTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

describe("tracing over OTLP/HTTP", () => {
  it("continues the client's trace: a server span, one client span per attempt (retry and fallback), GenAI attributes, traceparent upstream", async () => {
    const res = await chat(gw.url, { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01`, tracestate: "vendor=abc" });
    expect(res.status).toBe(200);
    await res.text();
    const spans = ofTrace(await receiver.waitFor((s) => ofTrace(s, TRACE_ID).length >= 5), TRACE_ID);

    const server = spans.filter((s) => s.kind === SERVER);
    expect(server).toHaveLength(1);
    expect(server[0]!.parentSpanId).toBe(CLIENT_SPAN);
    expect(server[0]!.name).toBe("POST chat");
    expect(server[0]!.resource["service.name"]).toBe("aigw-test");
    expect(server[0]!.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.path": "/v1/chat/completions",
      "http.response.status_code": 200,
      "aigw.route": "chat",
      "aigw.upstream": "backup",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 20,
    });

    // primary: both targets refuse (first try and retry); the first fallback
    // answers 503; the second answers.
    const attempts = spans.filter((s) => s.kind === CLIENT);
    expect(attempts).toHaveLength(4);
    for (const a of attempts) expect(a.parentSpanId).toBe(server[0]!.spanId);
    const byUpstream = (u: string) => attempts.filter((a) => a.attributes["aigw.upstream"] === u);
    expect(byUpstream("primary").map((a) => a.attributes["error.type"])).toEqual(["connect_error", "connect_error"]);
    expect(byUpstream("primary").map((a) => a.attributes["aigw.attempt"]).sort()).toEqual([1, 2]);
    expect(byUpstream("overloaded").map((a) => a.attributes["http.response.status_code"])).toEqual([503]);
    expect([...byUpstream("primary"), ...byUpstream("overloaded")].every((a) => a.status?.code === 2)).toBe(true); // ERROR
    const ok = byUpstream("backup")[0]!;
    expect(ok.name).toBe("chat gpt-4o");
    expect(ok.attributes).toMatchObject({
      "gen_ai.system": "openai",
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.response.model": "gpt-4o",
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 20,
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
    });

    // The upstream that answered saw the trace, with the attempt's span as parent.
    const sent = String(openai.last.headers.traceparent);
    expect(sent).toBe(`00-${TRACE_ID}-${ok.spanId}-01`);
    expect(openai.last.headers.tracestate).toBe("vendor=abc");
    expect(broken.requests.at(-1)!.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));

    // Never prompt content, never the collector's key.
    const everything = receiver.bodies.join("\n");
    expect(everything).not.toContain(PROMPT);
    expect(everything).not.toContain("collector-secret");
    expect(receiver.headers.at(-1)!["x-collector-key"]).toBe("collector-secret");
  });

  it("starts a new trace when the client sent none, and traces plain HTTP routes too", async () => {
    const before = receiver.spans.length;
    const res = await fetch(`${gw.url}/svc/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await res.text();
    const spans = await receiver.waitFor((s) => s.slice(before).some((x) => x.kind === SERVER && x.attributes["aigw.route"] === "plain"));
    const server = spans.slice(before).find((x) => x.kind === SERVER && x.attributes["aigw.route"] === "plain")!;
    expect(server.parentSpanId).toBeUndefined();
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(openai.last.headers.traceparent).toMatch(new RegExp(`^00-${server.traceId}-[0-9a-f]{16}-01$`));
  });

  it("at sampleRatio 0 starts no trace; a sampled parent is still followed, an unsampled one propagated unsampled", async () => {
    const before = receiver.spans.length;
    const res = await chat(quiet.url);
    await res.text();
    expect(openai.last.headers.traceparent).toBeUndefined(); // as if the gateway were not there

    const unsampledTrace = "5bf92f3577b34da6a3ce929d0e0e4737";
    const notFollowed = await chat(quiet.url, { traceparent: `00-${unsampledTrace}-00f067aa0ba902b7-00` });
    await notFollowed.text();
    expect(String(openai.last.headers.traceparent)).toMatch(new RegExp(`^00-${unsampledTrace}-[0-9a-f]{16}-00$`));

    const parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const followed = await chat(quiet.url, { traceparent: `00-${parentTrace}-00f067aa0ba902b7-01` });
    await followed.text();
    await receiver.waitFor((s) => ofTrace(s, parentTrace).length >= 2);
    expect(ofTrace(receiver.spans, unsampledTrace)).toHaveLength(0);
    expect(receiver.spans.slice(before).filter((s) => s.resource["service.name"] === "aigw-quiet").every((s) => s.traceId === parentTrace)).toBe(true);
  });

  it("writes the trace id into the access log", async () => {
    const res = await chat(gw.url, { traceparent: `00-${"1".repeat(32)}-${CLIENT_SPAN}-01`, "x-request-id": "traced-1" });
    await res.text();
    const line = await accessLine(gw, "traced-1");
    expect(line.traceId).toBe("1".repeat(32));
    expect(typeof line.upstreamMs).toBe("number");
  });
});
