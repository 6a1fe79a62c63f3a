import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  rawHeaders: string[];
  body: string;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/**
 * A real node:http upstream on 127.0.0.1:0 that records every request and
 * answers with `handler` (default: 200 JSON echo of what it received).
 */
export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  private server: Server;
  handler: FakeHandler;
  url = "";

  constructor(handler?: FakeHandler) {
    this.handler =
      handler ??
      ((req, res, body) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      });
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const c of req) chunks.push(c as Buffer);
      } catch {
        return; // the gateway gave up on this request mid-body (client abort, timeout)
      }
      const body = Buffer.concat(chunks).toString("utf8");
      this.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body });
      try {
        await this.handler(req, res, body);
      } catch {
        res.destroy();
      }
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get last(): RecordedRequest {
    const r = this.requests[this.requests.length - 1];
    if (r === undefined) throw new Error("the fake upstream received no request");
    return r;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
