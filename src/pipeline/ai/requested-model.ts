import type { RequestContext } from "../types.js";

/** The model a request asked for, as pricing reads it: the one routing read, else the body's. */
export function requestedModel(ctx: RequestContext): string | undefined {
  return ctx.model ?? (typeof ctx.json?.model === "string" ? ctx.json.model : undefined);
}
