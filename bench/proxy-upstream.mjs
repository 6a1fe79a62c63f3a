// Fake OpenAI-shaped upstream for the focused benches (run as its own process).
//
//   POST /v1/chat/completions  a fixed ~600-byte chat.completion JSON body, or,
//                              when the request body has `"stream": true`, an
//                              SSE response of 20 chat.completion.chunk events
//                              written back to back, then `data: [DONE]`.
//   GET  /health               {"status":"ok"}
//
// Listens on 127.0.0.1:0 and prints one JSON line `{"port":N}` on stdout.
// Everything is precomputed: the upstream should cost as little as possible.

import { createServer } from "node:http";

const CREATED = 1_700_000_000;
const ID = "chatcmpl-bench0000000000000000000000001";
const MODEL = "gpt-4o-mini-2024-07-18";
const CONTENT =
  "Hello! This is a fixed answer from the aigw benchmark upstream. It is long enough to make the JSON body about six hundred bytes, " +
  "which is close to a short real chat completion. Nothing here depends on the request, so every answer costs the same.";

const completion = Buffer.from(
  JSON.stringify({
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench00001",
    choices: [{ index: 0, message: { role: "assistant", content: CONTENT, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 58, total_tokens: 70 },
  }),
);

function chunk(delta, finishReason) {
  const event = {
    id: ID,
    object: "chat.completion.chunk",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench00001",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  return Buffer.from(`data: ${JSON.stringify(event)}\n\n`);
}

const words = CONTENT.split(" ");
const SSE_CHUNKS = [];
SSE_CHUNKS.push(chunk({ role: "assistant", content: "" }, null));
for (let i = 0; i < 18; i++) SSE_CHUNKS.push(chunk({ content: (i === 0 ? "" : " ") + words[i % words.length] }, null));
SSE_CHUNKS.push(chunk({}, "stop"));
const SSE_DONE = Buffer.from("data: [DONE]\n\n");

const JSON_HEADERS = { "content-type": "application/json", "content-length": String(completion.length), "openai-processing-ms": "1" };
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "openai-processing-ms": "1" };
const HEALTH = Buffer.from('{"status":"ok"}');
const STREAM_TRUE = /"stream"\s*:\s*true/;

const server = createServer({ keepAliveTimeout: 60_000, noDelay: true }, (req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(HEALTH.length) });
    res.end(HEALTH);
    return;
  }
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404, { "content-length": "0" });
    res.end();
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (s) => {
    body += s;
  });
  req.on("end", () => {
    if (STREAM_TRUE.test(body)) {
      res.writeHead(200, SSE_HEADERS);
      for (const c of SSE_CHUNKS) res.write(c);
      res.end(SSE_DONE);
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(completion);
    }
  });
});
server.headersTimeout = 60_000;
server.requestTimeout = 0;

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, completionBytes: completion.length, sseChunks: SSE_CHUNKS.length }) + "\n");
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
