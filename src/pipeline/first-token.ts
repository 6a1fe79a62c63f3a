import type { RequestResources } from "./types.js";
import type { RequestContext } from "./types.js";

/**
 * `aigw_time_to_first_token_seconds`: a streaming response's first body
 * bytes went to the client. Model label: the pricing pattern of the
 * requested model (bounded by the config), `unpriced`, or `-` off AI routes.
 */
export function recordFirstToken(ctx: RequestContext, resources: RequestResources): void {
  const ai = ctx.route?.compiled.ai === true;
  const model = ai ? (resources.ai.prices.priceOf(ctx.model)?.glob.pattern ?? "unpriced") : "-";
  resources.metrics.recordFirstToken(ctx.upstream ?? "-", model, (resources.clock.monotonic() - ctx.startedAt) / 1000);
}
