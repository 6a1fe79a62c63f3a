import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessLine } from "../helpers/access-line.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { until } from "../helpers/until.js";

/**
 * A client that leaves in the middle of a streamed upload (HTTP/1.1,
 * chunked): the upstream must never take the part that came as a whole
 * request, and the gateway ends the exchange at once instead of holding it
 * open until the route's timeout.
 */

let up: FakeUpstream;
let gw: TestGateway;
let started = 0;

beforeAll(async () => {
  up = await new FakeUpstream((req, res) => {
    if (req.url?.startsWith("/download") === true) {
      // A stream that never ends by itself: the client leaves in the middle of it.
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  }).start();
  // Count requests the upstream starts to receive (the fake records only whole ones).
  const server = (up as unknown as { server: import("node:http").Server }).server;
  server.prependListener("request", () => started++);
  gw = await startTestGateway(`version: 1
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - { name: upload, match: { pathPrefix: /upload }, upstream: svc }
  - { name: download, match: { pathPrefix: /download }, upstream: svc }
`);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe("a streamed upload cut by the client", () => {
  it("never reaches the upstream as a whole request, and ends the exchange at once", async () => {
    const url = new URL(gw.url);
    const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/upload", headers: { "transfer-encoding": "chunked", "x-request-id": "cut-upload" } });
    req.on("error", () => undefined);
    req.write(Buffer.alloc(100 * 1024, 0x61));
    // Wait until the gateway has opened the upstream request, then leave mid-body.
    await until(() => started !== 0, "the upstream request to open", 2500, 5);
    expect(started).toBe(1);
    req.destroy();
    const line = await accessLine(gw, "cut-upload");
    expect(line.status).toBe(499);
    expect(up.requests).toHaveLength(0);
  });
});

describe("a streamed answer cut by the client", () => {
  it("completes the request once: one access line, and nothing left counted in flight", async () => {
    // A route with no stage runs the proxy itself: the relay fails inside the
    // response's 'close' (the cancel fails the body), and the request must
    // still complete exactly once.
    const url = new URL(gw.url);
    const ids = ["cut-download-1", "cut-download-2", "cut-download-3"];
    for (const id of ids) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: "/download", headers: { "x-request-id": id } }, (res) => {
          res.once("data", () => {
            res.destroy();
            resolve();
          });
        });
        req.on("error", () => undefined);
        req.once("error", reject);
        req.end();
      });
      await accessLine(gw, id);
    }
    await until(() => gw.gateway.inFlight === 0, "no request in flight", 2500, 5);
    expect(gw.gateway.inFlight).toBe(0);
    for (const id of ids) expect(gw.logs.filter((l) => l.type === "access" && l.requestId === id)).toHaveLength(1);
  });
});
