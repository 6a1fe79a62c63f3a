/**
 * Issue 23, item 8: TLS listeners keep `server.limits`. Before the fix a
 * listener with `server.tls` applied none of them: an HTTP/1.1-over-TLS
 * request whose headers or body never finished, and an HTTP/2 stream or
 * header block that never ended, held a socket forever; HTTP/2 sessions
 * took any number of concurrent streams and 64 KiB header lists; a client's
 * RST_STREAM ended the body the gateway was streaming upstream as if it were
 * whole, and went unseen as a client leaving (the upstream request ran on);
 * shutdown sent no GOAWAY. Every test runs a real TLS gateway against a
 * real upstream that has no header limit of its own (so what is refused is
 * refused by the gateway), with node:http2, node:tls, or the raw frame
 * client of helpers/h2-raw.ts where a conforming client cannot misbehave.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { connect as h2connect, constants as h2constants, type ClientHttp2Stream } from "node:http2";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnGateway } from "../helpers/child.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { ErrorCode, Flag, FrameType, RawH2, frame, headersFrames, requestHeaders, rstCode, type Frame } from "../helpers/h2-raw.js";
import { until } from "../helpers/until.js";

/** What the upstream saw of one request. */
interface Exchange {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** complete: the body ended; cut: the request closed before its end. */
  state: "receiving" | "complete" | "cut";
  /** The gateway gave up on the request before the answer was sent (the upstream saw its connection close). */
  cancelled: boolean;
}

/**
 * A real node:http upstream without a header limit of its own (1 MiB), that
 * records how each request ended and can hold its answers.
 */
class Upstream {
  readonly exchanges: Exchange[] = [];
  /** Requests whose answer waits for `release()`. */
  holds: (ex: Exchange) => boolean = () => false;
  /** When > 0: once this many answers are held, all are released (and no more are held). */
  releaseAt = 0;
  url = "";
  private held: (() => void)[] = [];
  private readonly server: Server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    const ex: Exchange = { url: req.url ?? "", headers: req.headers, body: "", state: "receiving", cancelled: false };
    this.exchanges.push(ex);
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (ex.body += chunk));
    req.on("error", () => undefined);
    req.once("close", () => {
      if (!req.complete) ex.state = "cut";
    });
    res.once("close", () => {
      if (!res.writableFinished) ex.cancelled = true;
    });
    req.once("end", () => {
      ex.state = "complete";
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ url: ex.url, bytes: ex.body.length }));
      };
      if (!this.holds(ex)) return answer();
      this.held.push(answer);
      if (this.releaseAt > 0 && this.held.length >= this.releaseAt) {
        this.releaseAt = 0;
        this.holds = () => false;
        this.release();
      }
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  find(path: string): Exchange | undefined {
    return this.exchanges.find((e) => e.url === path);
  }

  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  reset(): void {
    this.holds = () => false;
    this.releaseAt = 0;
    this.release();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw TLS connection speaking HTTP/1.1 (ALPN), collecting what the server sends. */
async function rawHttp1(url: string): Promise<{ socket: TLSSocket; received: () => string; closed: () => boolean }> {
  const u = new URL(url);
  const socket = tlsConnect({ host: u.hostname, port: Number(u.port), ALPNProtocols: ["http/1.1"], rejectUnauthorized: false, servername: "localhost" });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  let data = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  socket.once("close", () => (closed = true));
  return { socket, received: () => data, closed: () => closed };
}

/** One HTTP/1.1 request (TLS or not, ALPN http/1.1), its status and body. */
function h1(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const options = { host: u.hostname, port: u.port, path, method: "GET", headers, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], servername: "localhost", agent: false };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A node:http2 stream's answer: the status, and how the stream closed. */
function watch(stream: ClientHttp2Stream): { status: () => number | undefined; closed: () => boolean; rstCode: () => number | undefined } {
  let status: number | undefined;
  let closed = false;
  stream.on("response", (headers) => (status = Number(headers[":status"])));
  stream.on("data", () => undefined);
  stream.on("error", () => undefined);
  stream.once("close", () => (closed = true));
  return { status: () => status, closed: () => closed, rstCode: () => (closed ? stream.rstCode : undefined) };
}

/** Streams whose answer has ended (END_STREAM on HEADERS or DATA). */
function endedStreams(frames: readonly Frame[]): Set<number> {
  return new Set(frames.filter((f) => (f.type === FrameType.HEADERS || f.type === FrameType.DATA) && (f.flags & Flag.END_STREAM) !== 0).map((f) => f.stream));
}

/** Opens the session as node:http2 clients do: preface, then the server's SETTINGS acknowledged (they apply from then on). */
async function acknowledgeSettings(h2: RawH2): Promise<void> {
  h2.write(h2.preface());
  await h2.until((frames) => frames.some((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0), "the server's SETTINGS");
  h2.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function statusOf(frames: readonly Frame[], stream: number): number | undefined {
  const head = frames.find((f) => f.type === FrameType.HEADERS && f.stream === stream);
  return head === undefined ? undefined : RawH2.status(head);
}

let certDir: string;
let cert: string;
let key: string;
let up: Upstream;
const cleanup: (() => unknown)[] = [];

function tlsYaml(limits: string, extra = ""): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 5000 }
  tls: { cert: ${cert}, key: ${key} }
${limits}
${extra}upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  # The route's own timeout is long: what answers here is the listener, not the proxy.
  - { name: all, upstream: svc, timeoutMs: 60000 }
`;
}

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "aigw-tls-limits-"));
  cert = join(certDir, "cert.pem");
  key = join(certDir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
  ], { stdio: "pipe" });
  up = await new Upstream().start();
});

afterAll(async () => {
  await up?.close();
});

afterEach(async () => {
  up.reset();
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe("TLS listener timeouts (server.limits: headersTimeoutMs 300, requestTimeoutMs 600)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(tlsYaml("  limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 }"));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("closes a connection whose headers never finish (headersTimeoutMs)", async () => {
    const conn = await rawHttp1(gw.url);
    cleanup.push(() => conn.socket.destroy());
    conn.socket.write("GET /slow-headers HTTP/1.1\r\nHost: localhost\r\nX-Trickle: a");
    await until(conn.closed, "the gateway closing the connection", 5000);
    // node:http answers 408 when it can; either way nothing reached the upstream.
    expect(conn.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
    expect(up.find("/slow-headers")).toBeUndefined();
  });

  it("answers 408 to a body that never finishes (requestTimeoutMs) and never sends it upstream whole", async () => {
    const conn = await rawHttp1(gw.url);
    cleanup.push(() => conn.socket.destroy());
    conn.socket.write("POST /slow-body HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789");
    await until(conn.closed, "the gateway closing the connection", 5000);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(up.find("/slow-body")?.state).not.toBe("complete");
  });

  it("answers 408 to a stream whose body never finishes (requestTimeoutMs) and resets it", async () => {
    const session = h2connect(gw.url, { rejectUnauthorized: false });
    session.on("error", () => undefined);
    cleanup.push(() => session.destroy());
    const stream = session.request({ ":method": "POST", ":path": "/slow-stream", "content-type": "text/plain" });
    const answer = watch(stream);
    stream.write("the first part of a body that never ends");
    await until(answer.closed, "the stream being closed by the gateway", 5000);
    expect(answer.status()).toBe(408);
    expect(answer.rstCode()).toBe(h2constants.NGHTTP2_CANCEL);
    expect(up.find("/slow-stream")?.state).not.toBe("complete");
    // The session itself is still usable.
    const next = session.request({ ":method": "GET", ":path": "/after-408", "content-type": "text/plain" });
    const nextAnswer = watch(next);
    next.end();
    await until(nextAnswer.closed, "the next stream's answer", 5000);
    expect(nextAnswer.status()).toBe(200);
  });

  it("closes a connection whose header block never ends (headersTimeoutMs)", async () => {
    const h2 = await RawH2.open(gw.url);
    cleanup.push(() => h2.close());
    const authority = new URL(gw.url).host;
    // HEADERS without END_HEADERS, and no CONTINUATION ever: no stream is opened.
    h2.write(h2.preface(), headersFrames(1, requestHeaders(authority, "GET", "/never-ending-headers", [["x-trickle", "a"]]), { endStream: true, endHeaders: false }));
    await until(() => h2.closed, "the gateway closing the connection", 5000);
    expect(h2.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(true);
    expect(up.find("/never-ending-headers")).toBeUndefined();
  });
});

describe("HTTP/2 sessions on the TLS listener (default limits)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(tlsYaml(""));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("never sends a body cut by the client's RST_STREAM upstream as a whole one", async () => {
    // Raw frames: node:http2's stream.close() ends the body (END_STREAM) before it resets.
    const h2 = await RawH2.open(gw.url);
    cleanup.push(() => h2.close());
    const authority = new URL(gw.url).host;
    // No content-length: the gateway streams the body upstream as it comes.
    h2.write(h2.preface(), headersFrames(1, requestHeaders(authority, "POST", "/cut-body", [["content-type", "text/plain"]])), frame(FrameType.DATA, 0, 1, Buffer.from("a first half, ")));
    await until(() => (up.find("/cut-body")?.body.length ?? 0) > 0, "the upstream receiving the first half", 5000);
    h2.write(frame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)));
    await until(() => up.find("/cut-body")!.state !== "receiving", "the upstream request ending one way or the other", 5000);
    expect(up.find("/cut-body")).toMatchObject({ state: "cut", body: "a first half, " });
  });

  it("cancels the upstream request when the client resets the stream before the response", async () => {
    up.holds = (ex) => ex.url === "/left-early";
    const session = h2connect(gw.url, { rejectUnauthorized: false });
    session.on("error", () => undefined);
    cleanup.push(() => session.destroy());
    const stream = session.request({ ":method": "POST", ":path": "/left-early", "content-type": "text/plain" });
    watch(stream);
    stream.end("a whole request");
    await until(() => up.find("/left-early")?.state === "complete", "the upstream receiving the whole request", 5000);
    stream.close(h2constants.NGHTTP2_CANCEL);
    await until(() => up.find("/left-early")!.cancelled, "the upstream request being cancelled", 5000);
  });

  it("refuses streams past maxConcurrentStreams (100 by default) with REFUSED_STREAM while the others are served", async () => {
    const before = up.exchanges.length;
    // The upstream answers nothing until it holds 100 requests: the first 100 streams stay open while the rest arrive.
    up.holds = (ex) => ex.url.startsWith("/many/");
    up.releaseAt = 100;
    const h2 = await RawH2.open(gw.url);
    cleanup.push(() => h2.close());
    const authority = new URL(gw.url).host;
    const ids = Array.from({ length: 150 }, (_, i) => 2 * i + 1);
    // All 150 in one write, before the server's SETTINGS are acknowledged: nghttp2 refuses the streams past the
    // advertised limit with REFUSED_STREAM (once the client has acknowledged the limit, exceeding it ends the connection).
    h2.write(h2.preface(), ...ids.map((id) => headersFrames(id, requestHeaders(authority, "GET", `/many/${id}`), { endStream: true })));
    const refused = (frames: readonly Frame[]): Frame[] => frames.filter((f) => f.type === FrameType.RST_STREAM);
    await until(() => refused(h2.frames).length + endedStreams(h2.frames).size >= 150 || h2.closed, "an answer on every stream", 15_000);
    const resets = refused(h2.frames);
    expect(resets).toHaveLength(50);
    expect(new Set(resets.map(rstCode))).toEqual(new Set([ErrorCode.REFUSED_STREAM]));
    const served = [...endedStreams(h2.frames)];
    expect(served).toHaveLength(100);
    expect(served.map((id) => statusOf(h2.frames, id))).toEqual(Array(100).fill(200));
    expect(up.exchanges.length - before).toBe(100);
    expect(h2.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  }, 30_000);

  it("refuses a header list over maxHeaderBytes (16 KiB by default) and keeps the session", async () => {
    const h2 = await RawH2.open(gw.url);
    cleanup.push(() => h2.close());
    const authority = new URL(gw.url).host;
    await acknowledgeSettings(h2);
    const big = headersFrames(1, requestHeaders(authority, "GET", "/big-headers", [["x-big", "b".repeat(20_000)]]), { endStream: true });
    h2.write(big);
    await h2.until((frames) => frames.some((f) => f.stream === 1 && (f.type === FrameType.RST_STREAM || f.type === FrameType.HEADERS)), "an answer on stream 1");
    const onStream1 = h2.frames.filter((f) => f.stream === 1);
    expect(onStream1.map((f) => f.type)).toEqual([FrameType.RST_STREAM]);
    expect(rstCode(onStream1[0]!)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    // The same connection serves the next stream.
    h2.write(headersFrames(3, requestHeaders(authority, "GET", "/after-big-headers"), { endStream: true }));
    await h2.until((frames) => endedStreams(frames).has(3), "the answer on stream 3");
    expect(statusOf(h2.frames, 3)).toBe(200);
    expect(h2.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
    expect(up.find("/big-headers")).toBeUndefined();
  });

  it("refuses the same header list over HTTP/1.1 with 431", async () => {
    const res = await h1(gw.url, "/big-headers-h1", { "x-big": "b".repeat(20_000) });
    expect(res.status).toBe(431);
    expect(up.find("/big-headers-h1")).toBeUndefined();
  });
});

describe("shutdown", () => {
  it("sends GOAWAY to open HTTP/2 connections and closes them once their streams are done", async () => {
    const gw = await startTestGateway(tlsYaml(""));
    let stopping: Promise<void> | null = null;
    cleanup.push(() => stopping ?? gw.close());
    const authority = new URL(gw.url).host;
    up.holds = (ex) => ex.url === "/in-flight";
    // A: one stream in flight. B: idle after one answered request.
    const a = await RawH2.open(gw.url);
    const b = await RawH2.open(gw.url);
    cleanup.push(() => a.close(), () => b.close());
    a.write(a.preface(), headersFrames(1, requestHeaders(authority, "GET", "/in-flight"), { endStream: true }));
    b.write(b.preface(), headersFrames(1, requestHeaders(authority, "GET", "/answered"), { endStream: true }));
    await until(() => up.find("/in-flight")?.state === "complete", "the in-flight request reaching the upstream", 5000);
    await b.until((frames) => endedStreams(frames).has(1), "B's answer");

    stopping = gw.close();
    await until(() => a.frames.some((f) => f.type === FrameType.GOAWAY) && b.frames.some((f) => f.type === FrameType.GOAWAY), "GOAWAY on both connections", 5000);
    await until(() => b.closed, "the idle connection closing", 5000);
    expect(a.closed).toBe(false);

    // The in-flight stream still finishes, then its connection closes.
    up.release();
    await until(() => endedStreams(a.frames).has(1), "the in-flight stream's answer", 5000);
    expect(statusOf(a.frames, 1)).toBe(200);
    await until(() => a.closed, "the busy connection closing once its stream is done", 5000);
    await stopping;
  });
});

describe("limits that used to stop serve from starting", () => {
  it.each(["plain", "TLS"] as const)("starts with a requestTimeoutMs shorter than the default headersTimeoutMs (%s listener)", async (kind) => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-tls-limits-serve-"));
    const file = join(dir, "gateway.yaml");
    const tls = kind === "TLS" ? `  tls: { cert: ${cert}, key: ${key} }\n` : "";
    writeFileSync(file, `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  limits: { requestTimeoutMs: 2000 }
${tls}upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`);
    const child = await spawnGateway(file);
    cleanup.push(async () => {
      if (child.child.exitCode === null) child.child.kill("SIGTERM");
      await child.exited;
    });
    expect(child.dataUrl.startsWith(kind === "TLS" ? "https://" : "http://")).toBe(true);
    const res = await h1(child.dataUrl, `/started-${kind}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ url: `/started-${kind}` });
  });
});
