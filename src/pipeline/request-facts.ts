import { hasBody } from "./body.js";
import type { RequestContext } from "./types.js";

/** The client went away (the request was cancelled without a gateway reason such as a timeout). */
export function clientLeft(ctx: RequestContext): boolean {
  return ctx.cancel.aborted && ctx.cancel.reason === undefined;
}

/** Whether the request body can be sent again (buffered, absent, or a stream nothing read yet). */
export function replayable(ctx: RequestContext): boolean {
  return ctx.body !== null || !hasBody(ctx.req) || !ctx.req.readableDidRead;
}

