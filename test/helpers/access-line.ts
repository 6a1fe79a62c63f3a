import type { TestGateway } from "./gateway.js";
import { until } from "./until.js";

/**
 * The access line of a request, once written (it is written when the
 * request completes, after its usage is settled): a bounded poll of the
 * in-process gateway's log, never a fixed sleep.
 */
export function accessLine(gw: TestGateway, requestId: string, limitMs = 5000): Promise<Record<string, unknown>> {
  return until(() => gw.logs.find((l) => l.type === "access" && l.requestId === requestId), `the access line of ${requestId}`, limitMs, 5);
}
