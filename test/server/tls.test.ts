import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

let gw: TestGateway;
let up: FakeUpstream;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "aigw-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "pipe" });
  up = await new FakeUpstream().start();
  gw = await startTestGateway(`version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  tls: { cert: ${join(dir, "cert.pem")}, key: ${join(dir, "key.pem")}, minVersion: TLSv1.2 }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe("TLS listener", () => {
  it("speaks HTTP/2 when the client offers it (ALPN h2)", async () => {
    expect(gw.url.startsWith("https://")).toBe(true);
    const session = connect(gw.url, { rejectUnauthorized: false });
    try {
      const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/h2/path?q=1", "content-type": "text/plain", "x-custom": "h2" });
        let body = "";
        let head: Record<string, unknown> = {};
        req.on("response", (h) => (head = h));
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => resolve({ status: Number(head[":status"]), headers: head, body }));
        req.on("error", reject);
        req.end("hello over h2");
      });
      expect(status).toBe(200);
      expect(headers["x-aigw-route"]).toBe("all");
      expect(JSON.parse(body)).toMatchObject({ method: "POST", url: "/h2/path?q=1", body: "hello over h2" });
      expect(up.last.headers["x-custom"]).toBe("h2");
      expect(up.last.headers["x-forwarded-proto"]).toBe("https");
      expect(Object.keys(up.last.headers).some((k) => k.startsWith(":"))).toBe(false);
    } finally {
      session.close();
    }
  });

  it("falls back to HTTP/1.1 for clients without h2", async () => {
    const u = new URL(gw.url);
    const res = await new Promise<{ status: number; version: string; body: string }>((resolve, reject) => {
      const options = { host: u.hostname, port: u.port, path: "/h1", method: "GET", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] };
      const req = httpsRequest(options, (r) => {
        let body = "";
        r.on("data", (c: Buffer) => (body += c.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, version: r.httpVersion, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.version).toBe("1.1");
    expect(JSON.parse(res.body).url).toBe("/h1");
  });
});
