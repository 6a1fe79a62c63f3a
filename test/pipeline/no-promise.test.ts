import { createHook } from "node:async_hooks";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { until } from "../helpers/until.js";

/**
 * The request core and the built-in stages run on callbacks
 * (docs/architecture.md, "Hot-path rules"): a request through API-key
 * auth, metering and an in-memory rate limit creates no promise in the
 * gateway's code. Promises are told apart by where they are made (the
 * test's own client is a raw socket, so it makes none).
 */
let up: FakeUpstream;

beforeAll(async () => {
  up = await new FakeUpstream((_req, res, body) => {
    if ((JSON.parse(body) as { stream?: boolean }).stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta: object, usage: object | null = null): string =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: null }], usage })}\n\n`;
      res.end(`${chunk({ role: "assistant", content: "" })}${chunk({ content: "hello" })}${chunk({}, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })}data: [DONE]\n\n`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "c", object: "chat.completion", model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }));
  }).start();
});

afterAll(async () => {
  await up?.close();
});

/**
 * The gateway: a route chosen by the body's model, or (`byModel` false) a
 * route that matches without it, where the body is read by the auth stage
 * (`team`'s model allow-list) or by the proxy (`other`, no allow-list).
 */
function gatewayConfig(byModel: boolean): string {
  return `version: 1
auth: [{ name: keys, type: apiKey, keys: [{ id: k, consumer: team, value: "secret-key" }, { id: o, consumer: other, value: "other-key" }] }]
consumers: [{ name: team, rateLimits: [per-team], models: ["gpt-*"] }, { name: other, rateLimits: [per-team] }]
rateLimits: [{ name: per-team, algorithm: token_bucket, limit: 1000, window: 1s, key: consumer }]
upstreams: [{ name: openai, type: openai, targets: [{ url: "${up.url}" }] }]
routes: [{ name: chat, match: { path: /v1/chat/completions${byModel ? ', model: "gpt-*"' : ""} }, auth: [keys], upstream: openai }]
`;
}

/** One request over a raw socket; calls back with the response's head line once the whole answer is in. */
function ask(url: string, key: string, stream: boolean, onAnswered: (head: string) => void): void {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ model: "gpt-4o-mini", stream, messages: [{ role: "user", content: "hi" }] });
  const socket = connect(Number(port), hostname);
  let text = "";
  socket.on("data", (d: Buffer) => {
    text += d.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    const length = /content-length: (\d+)/i.exec(text);
    // A streamed answer is chunked: it is whole at its last chunk (and the cost trailer).
    const whole = stream ? /\r\n0\r\n[^]*\r\n\r\n$/.test(text) : length !== null && text.length >= end + 4 + Number(length[1]);
    if (end !== -1 && whole) {
      socket.destroy();
      onAnswered(text.slice(0, text.indexOf("\r\n")));
    }
  });
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const GATEWAY_CODE = /[/\\]src[/\\](pipeline|auth|ratelimit|usage|upstream|server|observability|lifecycle)[/\\]/;

const cases = [
  { byModel: true, key: "secret-key", what: "a route chosen by the model" },
  { byModel: false, key: "secret-key", what: "a route without a model match, the body read for the allow-list" },
  { byModel: false, key: "other-key", what: "a route without a model match, the body read by the proxy" },
];

describe.each(cases)("a request through the built-in stages: $what", ({ byModel, key }) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway(gatewayConfig(byModel));
  });

  afterAll(async () => {
    await gw?.close();
  });

  for (const stream of [false, true]) {
    it(`makes no promise in the gateway's code (auth, usage, rate limit, proxy, relay), ${stream ? "streamed" : "JSON"}`, async () => {
      const access = (): number => gw.logs.filter((l) => l.type === "access").length;
      const warm = await new Promise<string>((done) => ask(gw.url, key, stream, done));
      expect(warm).toBe("HTTP/1.1 200 OK");
      await until(() => access() > 0 && access() % 2 === 1, "the warm-up's access line");
      const made: string[] = [];
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 60;
      const hook = createHook({
        init(_id, type) {
          if (type !== "PROMISE") return;
          const stack = new Error().stack ?? "";
          if (GATEWAY_CODE.test(stack)) made.push(stack);
        },
      });
      let head: string;
      try {
        hook.enable();
        head = await new Promise<string>((done) => ask(gw.url, key, stream, done));
        // The request completes (access line, metrics) after the response: that runs inside the window too.
        await until(() => access() % 2 === 0, "the access line");
      } finally {
        hook.disable();
        Error.stackTraceLimit = limit;
      }
      expect(head).toBe("HTTP/1.1 200 OK");
      expect(made).toEqual([]);
    });
  }
});
