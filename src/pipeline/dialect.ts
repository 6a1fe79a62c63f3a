import type { Readable } from "node:stream";
import type { CompiledRoute } from "../compile/route.js";
import type { RequestResources } from "./types.js";
import type { UpstreamResponse } from "../upstream/exchange.js";
import type { Target } from "../upstream/pool.js";
import { RequestBody, checkDeclaredLength, hasBody } from "./body.js";
import type { RequestContext } from "./types.js";
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
  /** Relays a successful answer; resolves false when it failed on the way (a stream cut or failed in-band). */
  relaySuccess(ctx: RequestContext, response: UpstreamResponse): Promise<boolean>;
  /** Relays an error answer (status ≥ 400) as the client should see it. */
  relayError(ctx: RequestContext, response: UpstreamResponse): Promise<void>;
}

const relayed = (): boolean => true;

/** Everything but the OpenAI-compatible surface: the request as the client sent it, the answer as the upstream gave it. */
export function passthroughDialect(route: CompiledRoute, resources: RequestResources, forward: Forwarding, copy: ResponseCopy): Dialect {
  const relay = (ctx: RequestContext, response: UpstreamResponse): Promise<boolean> => relayResponse(ctx, response, route, resources, copy).then(relayed);
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
    relaySuccess: relay,
    relayError: (ctx, response) => relayResponse(ctx, response, route, resources, copy),
  };
}
