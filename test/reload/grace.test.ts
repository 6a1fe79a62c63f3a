import { readFile } from "node:fs/promises";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/deps.js";
import { serve, type ServingGateway } from "../../src/server/serve.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { until } from "../helpers/until.js";

/**
 * A removed upstream's pool is closed once the old generation's requests
 * end, or after `server.shutdown.graceMs` when one of them never does (a
 * long stream), and destroyed if it has not closed within the grace: one
 * stream cannot keep a removed pool (its sockets, its health checks) alive.
 */

let serving: ServingGateway | null = null;
const fakes: FakeUpstream[] = [];

afterAll(async () => {
  await serving?.stop();
  await Promise.all(fakes.map((f) => f.close()));
});

describe("a removed pool held by a stream that never ends", () => {
  it("is closed after the grace, then destroyed: the stream is cut and the pool is gone", async () => {
    const endless = await new FakeUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n"); // and never ends
    }).start();
    const other = await new FakeUpstream().start();
    fakes.push(endless, other);
    const dir = mkdtempSync(join(tmpdir(), "aigw-grace-"));
    const file = join(dir, "gateway.yaml");
    const config = (upstreams: string, upstream: string) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 300 } }
observability: { logs: { accessLog: false } }
upstreams:
${upstreams}
routes:
  - { name: stream, match: { pathPrefix: /stream }, upstream: ${upstream} }
`;
    writeFileSync(file, config(`  - { name: endless, type: http, targets: [{ url: "${endless.url}" }] }`, "endless"));
    const started = await serve({ config: file, cwd: dir, env: {}, readFile: (f) => readFile(f, "utf8"), logger: pino({ level: "silent" }), clock: systemClock, random: Math.random, watch: false });
    serving = started.serving!;
    const gateway = serving.gateway;

    const res = await request(`${serving.dataUrl}/stream`);
    let ended: "end" | "error" | null = null;
    res.body.on("data", () => undefined);
    res.body.on("end", () => (ended = "end"));
    res.body.on("error", () => (ended = "error"));
    expect(gateway.registry.count("pool")).toBe(1);

    // The endless upstream is removed: its pool has no holder but the stream's generation.
    writeFileSync(file, config(`  - { name: other, type: http, targets: [{ url: "${other.url}" }] }`, "other"));
    expect((await serving.reloader.reload("file")).result).toBe("success");

    await until(() => ended !== null, "the stream on the removed pool is cut");
    expect(ended).toBe("error");
    await until(() => gateway.registry.count("pool") === 1, "only the new pool is left");
    expect((await request(`${serving.dataUrl}/stream`)).statusCode).toBe(200);
  });
});
