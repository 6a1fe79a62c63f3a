import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "./until.js";

/** A span as the OTLP/HTTP JSON encoding carries it (ids in hex). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number };
  resource: Record<string, unknown>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

/** A local OTLP/HTTP trace receiver on 127.0.0.1:0 (JSON encoding), keeping every span and raw body it got. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  readonly headers: Record<string, string | string[] | undefined>[] = [];
  private readonly server: Server;
  url = "";

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        this.bodies.push(text);
        this.headers.push(req.headers);
        if (req.url === "/v1/traces" && String(req.headers["content-type"]).includes("json")) {
          const body = JSON.parse(text) as {
            resourceSpans?: { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
          };
          for (const rs of body.resourceSpans ?? []) {
            const resource = attributes(rs.resource?.attributes);
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                this.spans.push({
                  traceId: String(s.traceId),
                  spanId: String(s.spanId),
                  ...(s.parentSpanId ? { parentSpanId: String(s.parentSpanId) } : {}),
                  name: String(s.name),
                  kind: Number(s.kind),
                  attributes: attributes(s.attributes as { key: string; value: AnyValue }[]),
                  status: s.status as { code?: number },
                  resource,
                });
              }
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Waits until `test` holds for the spans received (polling), or fails after `timeoutMs`. */
  waitFor(test: (spans: ReceivedSpan[]) => boolean, timeoutMs = 8000): Promise<ReceivedSpan[]> {
    return until(() => test(this.spans) && this.spans, () => `spans; got ${this.spans.length}: ${this.spans.map((s) => s.name).join(", ")}`, timeoutMs, 20);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
