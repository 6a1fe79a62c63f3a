import type { TestGateway } from "./gateway.js";

/**
 * The access line of a request, once written (it is written when the
 * request completes, after its usage is settled). Polls the in-process
 * gateway's log for a bounded time; never a fixed sleep.
 */
export async function accessLine(gw: TestGateway, requestId: string, limitMs = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const line = gw.logs.find((l) => l.type === "access" && l.requestId === requestId);
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no access line for ${requestId} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
