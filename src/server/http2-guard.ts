import { constants, type Http2SecureServer, type Http2ServerRequest, type ServerHttp2Session } from "node:http2";
import { Server as HttpServer } from "node:http";
import type { ListenerLimits } from "./listener-limits.js";

interface SessionState {
  /** Streams open now. */
  open: number;
  /** Monotonic ms since which no stream has been open. */
  idleSince: number;
}

/** Called with every HTTP/2 request before the gateway sees it. */
export type TrackRequest = (req: Http2ServerRequest) => void;

/**
 * `server.limits` for HTTP/2, which node:http2 does not enforce itself:
 *
 * - a request must arrive whole (END_STREAM) within `requestTimeoutMs` of
 *   its headers; otherwise it is answered 408 (when no response has started)
 *   and its stream reset with CANCEL;
 * - a connection with no open stream is closed (GOAWAY) after
 *   `headersTimeoutMs`: a header block that never ends opens no stream, and
 *   an idle connection holds a socket like an idle keep-alive one.
 *
 * One sweep per `checkIntervalMs` per server (node:http checks HTTP/1.1
 * connections the same way), not a timer per stream.
 */
export function guardHttp2(server: Http2SecureServer, limits: ListenerLimits, monotonic: () => number = () => performance.now()): TrackRequest {
  const sessions = new Map<ServerHttp2Session, SessionState>();
  /** Requests whose body has not ended yet, with their deadline. */
  const receiving = new Map<Http2ServerRequest, number>();

  server.on("session", (session: ServerHttp2Session) => {
    const state: SessionState = { open: 0, idleSince: monotonic() };
    sessions.set(session, state);
    session.on("stream", (stream) => {
      state.open++;
      stream.once("close", () => {
        if (--state.open === 0) state.idleSince = monotonic();
      });
    });
    session.once("close", () => sessions.delete(session));
  });

  const sweep = (): void => {
    const now = monotonic();
    for (const [req, deadline] of receiving) {
      if (deadline > now) continue;
      receiving.delete(req);
      const stream = req.stream;
      if (!stream.destroyed && stream.state.remoteClose !== 1) expire(req);
    }
    if (limits.headersTimeoutMs <= 0) return;
    for (const [session, state] of sessions) {
      if (state.open === 0 && now - state.idleSince >= limits.headersTimeoutMs) {
        sessions.delete(session);
        // Sends GOAWAY, then closes the socket; close() would wait for a header block that never ends.
        session.destroy();
      }
    }
  };
  const timer = setInterval(sweep, limits.checkIntervalMs);
  timer.unref();
  server.once("close", () => clearInterval(timer));
  drainSessions(server, sessions);

  return (req) => {
    const stream = req.stream;
    if (limits.requestTimeoutMs <= 0 || stream.endAfterHeaders) return;
    receiving.set(req, monotonic() + limits.requestTimeoutMs);
    stream.once("close", () => receiving.delete(req));
  };
}

/**
 * Shutdown (runtime.ts `drain`) closes idle connections, then cuts the rest;
 * node:http2 does both for HTTP/1.1 connections only. Here HTTP/2 sessions
 * get a GOAWAY (in-flight streams finish, new ones are refused), then are
 * destroyed with everything else.
 */
function drainSessions(server: Http2SecureServer, sessions: ReadonlyMap<ServerHttp2Session, SessionState>): void {
  const target = server as Http2SecureServer & { closeIdleConnections(): void; closeAllConnections?(): void };
  const closeIdleHttp1 = target.closeIdleConnections.bind(server);
  target.closeIdleConnections = () => {
    closeIdleHttp1();
    for (const session of sessions.keys()) session.close();
  };
  target.closeAllConnections = () => {
    HttpServer.prototype.closeAllConnections.call(server);
    for (const session of sessions.keys()) session.destroy();
  };
}

/**
 * Answers 408 when no response has started, then resets the stream with
 * CANCEL while the response is still open, so node reports the request
 * aborted rather than ended (see http2-compat.ts for what readers see).
 */
function expire(req: Http2ServerRequest): void {
  const stream = req.stream;
  if (!stream.headersSent) {
    try {
      stream.respond({ ":status": 408, "cache-control": "no-store" });
    } catch {
      // The stream closed in between: nothing left to tell the client.
    }
  }
  stream.close(constants.NGHTTP2_CANCEL);
}
