import type { Readable } from "node:stream";
import type { CompiledRoute } from "../compile/route.js";
import type { RequestResources } from "./types.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import type { Target } from "../upstream/pool.js";
import { RequestBody, checkDeclaredLength, hasBody } from "./body.js";
import type { Done, RequestContext } from "./types.js";
import { upstreamHeaders, type Forwarding } from "./forward.js";
import type { HeaderMap } from "./headers.js";
import { relayResponse, type ResponseCopy } from "./respond-upstream.js";
import { upstreamPath } from "./rewrite.js";

/** What goes to a target: method, path (with the target's base path), headers, body. */
export interface OutgoingRequest {
  method: string;
  path: string;
  headers: HeaderMap;
  body: Buffer | Readable | null;
}

/**
 * How one kind of exchange talks to one kind of upstream: what to send and
 * how to answer the client. Pass-through for plain HTTP and native provider
 * paths; OpenAI-shaped or translated for the OpenAI-compatible surface.
 */
export interface Dialect {
  /** The request for `target` (null for the in-process mock). */
  request(ctx: RequestContext, target: Target | null): OutgoingRequest;
  /**
   * Relays a successful answer, then calls `done` once: with the error when
   * it could not be relayed, else with whether it went out whole (false: a
   * stream cut or failed in-band). May throw before anything was sent.
   */
  relaySuccess(ctx: RequestContext, response: UpstreamResponse, done: RelaySuccessDone): void;
  /** Relays an error answer (status ≥ 400) as the client should see it; `done` as for `relaySuccess`. */
  relayError(ctx: RequestContext, response: UpstreamResponse, done: Done): void;
}

/** How a successful answer's relay ended: the error, or whether it went out whole. */
export type RelaySuccessDone = (err: unknown, whole: boolean) => void;

/** A relay written with promises, as a dialect's callback (for relays off the hot path). */
export function relayedBy(relay: Promise<boolean>, done: RelaySuccessDone): void {
  relay.then(
    (whole) => done(undefined, whole),
    (err: unknown) => done(err, false),
  );
}

/** An error relay written with promises, as a dialect's callback. */
export function erroredBy(relay: Promise<void>, done: Done): void {
  relay.then(() => done(), done);
}

/** Everything but the OpenAI-compatible surface: the request as the client sent it, the answer as the upstream gave it. */
export function passthroughDialect(route: CompiledRoute, resources: RequestResources, forward: Forwarding, copy: ResponseCopy): Dialect {
  return {
    request(ctx, target) {
      const headers = upstreamHeaders(ctx, route, resources, forward);
      let body: Buffer | Readable | null = ctx.body;
      if (body === null && hasBody(ctx.req)) {
        const length = ctx.req.headers["content-length"];
        if (length !== undefined) {
          checkDeclaredLength(ctx.req, resources.maxBodyBytes);
          headers["content-length"] = length;
        }
        body = new RequestBody(ctx.req, resources.maxBodyBytes, (n) => (ctx.bytesIn = n));
      }
      return { method: ctx.req.method ?? "GET", path: upstreamPath(ctx.path, route.rewrite, target?.basePath ?? "") + ctx.query, headers, body };
    },
    relaySuccess: (ctx, response, done) => relayResponse(ctx, response, route, resources, copy, (err) => done(err, true)),
    relayError: (ctx, response, done) => relayResponse(ctx, response, route, resources, copy, done),
  };
}
