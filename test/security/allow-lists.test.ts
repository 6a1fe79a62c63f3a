import { createHash } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { accessLine } from "../helpers/access-line.js";
import { snapshotOf } from "../helpers/build.js";
import { decide } from "../../src/explain/decide.js";

/**
 * Issue 23, item 2: a consumer's `models` allow-list fails closed. A
 * request whose model the gateway cannot read is refused unless its
 * endpoint serves no model; multipart forms are read for their `model`.
 * Item 11: model names are capped, so they cannot flood logs and errors.
 */

const KEY = "sk-allow-list-team-000001";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

const config = (upstreamUrl: string) => `version: 1
auth:
  - { name: keys, type: apiKey, keys: [{ id: a, consumer: team, sha256: "${sha(KEY)}" }] }
consumers:
  - { name: team, models: ["gpt-4o*"] }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${upstreamUrl}" }], models: [gpt-4o, whisper-1] }
routes:
  - { name: openai, match: { pathPrefix: /v1 }, auth: [keys], upstream: openai }
`;

let up: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await new FakeUpstream((req, res, body) => {
    res.writeHead(200, { "content-type": "application/json" });
    if (req.url?.startsWith("/v1/audio/transcriptions")) res.end(JSON.stringify({ text: "hello" }));
    else res.end(JSON.stringify({ url: req.url, bytes: body.length }));
  }).start();
  gw = await startTestGateway(config(up.url));
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const openai = () => new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const post = (path: string, body: string | Buffer, contentType: string) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": contentType }, body });

describe("a models allow-list fails closed", () => {
  it("multipart: a forbidden model in the form is refused (the official SDK's transcription upload)", async () => {
    const before = up.requests.length;
    const err = await openai()
      .audio.transcriptions.create({ model: "whisper-1", file: await toFile(Buffer.from("RIFF....WAVE"), "a.wav") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("model_not_allowed");
    expect(up.requests.length).toBe(before);
  });

  it("multipart: an allowed model goes through, and is the model the access line records", async () => {
    const out = await openai().audio.transcriptions.create({ model: "gpt-4o-transcribe", file: await toFile(Buffer.from("RIFF....WAVE"), "a.wav") }, { headers: { "x-request-id": "multipart-ok" } });
    expect(out.text).toBe("hello");
    expect(await accessLine(gw, "multipart-ok")).toMatchObject({ model: "gpt-4o-transcribe", status: 200 });
  });

  it("multipart with two model fields is refused with 400 (the gateway and the upstream could read different ones)", async () => {
    const form = new FormData();
    form.append("model", "gpt-4o-transcribe");
    form.append("model", "whisper-1");
    form.append("file", new Blob(["RIFF"]), "a.wav");
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_body", type: "invalid_request_error" } });
  });

  it("a JSON body behind a byte-order mark names no model the gateway reads: refused", async () => {
    const before = up.requests.length;
    const res = await post("/v1/chat/completions", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ model: "o1-pro", messages: [] }))]), "application/json");
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "model_not_allowed", type: "permission_error", param: null } });
    expect(up.requests.length).toBe(before);
  });

  it("a body that is not JSON is refused", async () => {
    const res = await post("/v1/completions", "model=o1-pro&prompt=hi", "application/x-www-form-urlencoded");
    expect(res.status).toBe(403);
  });

  it("an endpoint that carries its models inside uploads (files, batches) is refused", async () => {
    const res = await fetch(`${gw.url}/v1/files`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(403);
    const batch = await post("/v1/batches", JSON.stringify({ input_file_id: "file-1", endpoint: "/v1/chat/completions", completion_window: "24h" }), "application/json");
    expect(batch.status).toBe(403);
  });

  it("model-free endpoints stay open: /v1/models (built in), GET /v1/models/{id} (forwarded)", async () => {
    const models = await openai().models.list();
    expect(models.data.map((m) => m.id)).toEqual(["gpt-4o"]);
    const res = await fetch(`${gw.url}/v1/models/gpt-4o`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
  });

  it("an allowed JSON model is forwarded; a forbidden one is refused", async () => {
    expect((await post("/v1/chat/completions", JSON.stringify({ model: "gpt-4o-mini", messages: [] }), "application/json")).status).toBe(200);
    expect((await post("/v1/chat/completions", JSON.stringify({ model: "o1-pro", messages: [] }), "application/json")).status).toBe(403);
  });

  it("explain gives the same decisions (one rule for serve and explain)", () => {
    const snapshot = snapshotOf(config("http://127.0.0.1:1"));
    const headers = { authorization: `Bearer ${KEY}` };
    expect(decide(snapshot, { method: "POST", path: "/v1/files", headers }).status).toBe(403);
    expect(decide(snapshot, { method: "GET", path: "/v1/models/gpt-4o", headers }).status).toBe(200);
    expect(decide(snapshot, { method: "POST", path: "/v1/chat/completions", headers, model: "gpt-4o" }).status).toBe(200);
    expect(decide(snapshot, { method: "POST", path: "/v1/chat/completions", headers, model: "o1" }).status).toBe(403);
  });
});

describe("bounded echoes (item 11)", () => {
  it("a 2 MB model name answers 400 and leaves a small access line and error", async () => {
    const model = "m".repeat(2 * 1024 * 1024);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "x-request-id": "huge-model" },
      body: JSON.stringify({ model, messages: [] }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(1024);
    const line = await accessLine(gw, "huge-model");
    expect(JSON.stringify(line).length).toBeLessThan(2048);
  });

  it("a 12 KB path in a 404 is clipped", async () => {
    const res = await fetch(`${gw.url}/nowhere/${"p".repeat(12 * 1024)}`);
    expect(res.status).toBe(404);
    expect((await res.text()).length).toBeLessThan(1024);
  });
});
