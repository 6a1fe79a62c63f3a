// The "floor" proxy for bench/proxy.mjs (run as its own process): the least
// a Node gateway can be. node:http server, one undici Pool to the upstream
// (keep-alive, 128 connections), request body streamed into undici, response
// body streamed back with stream.pipeline, end-to-end headers forwarded
// (hop-by-hop ones dropped). No routing, no logging, no metrics.
//
//   node bench/proxy-floor.mjs http://127.0.0.1:PORT [pipeline|pipe]
//
// `pipeline` (default): the response body goes through stream.pipeline.
// `pipe`: through Readable#pipe plus the two listeners pipeline would add
// (source error -> cut the response; client gone -> destroy the source).
// On Node 20, stream.pipeline builds an AbortController per call and aborts
// it at the end (a DOMException with a stack trace), which `pipe` does not.
//
// Listens on 127.0.0.1:0 and prints one JSON line `{"port":N}` on stdout.

import { createServer } from "node:http";
import { pipeline } from "node:stream";
import { Pool } from "undici";

const origin = process.argv[2];
const mode = process.argv[3] ?? "pipeline";
if (mode !== "pipeline" && mode !== "pipe") {
  process.stderr.write(`unknown mode ${mode}: pipeline or pipe\n`);
  process.exit(2);
}
if (origin === undefined) {
  process.stderr.write("usage: node bench/proxy-floor.mjs <upstream origin>\n");
  process.exit(2);
}

const pool = new Pool(origin, { connections: 128, keepAliveTimeout: 4000 });

// RFC 9110 7.6.1, plus `host` (undici sets it from the origin).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"]);

function endToEnd(headers) {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

function fail(res, err) {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  res.writeHead(502, { "content-type": "application/json" });
  res.end('{"error":{"code":"upstream_error","message":"upstream failed"}}');
}

const server = createServer({ keepAliveTimeout: 5000, noDelay: true }, (req, res) => {
  const hasBody = req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
  pool.request({ path: req.url, method: req.method, headers: endToEnd(req.headers), body: hasBody ? req : null }, (err, up) => {
    if (err) return fail(res, err);
    res.writeHead(up.statusCode, endToEnd(up.headers));
    if (mode === "pipeline") {
      pipeline(up.body, res, (e) => {
        if (e && !res.destroyed) res.destroy();
      });
      return;
    }
    const body = up.body;
    body.once("error", () => res.destroy());
    res.once("close", () => {
      if (!res.writableFinished) body.destroy();
    });
    body.pipe(res);
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, mode }) + "\n");
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.destroy().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
