import { describe, expect, it } from "vitest";
import { MemoryLedger } from "../../src/usage/ledger.js";
import { fakeClock } from "../helpers/clocked-gateway.js";

const ONE = { requests: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.001 };

describe("MemoryLedger", () => {
  it("adds at once (no promise) and reads back the period's totals", async () => {
    const ledger = new MemoryLedger(fakeClock());
    expect(ledger.add("team-a", "day", ONE)).toBeUndefined();
    ledger.add("team-a", "day", ONE);
    expect(await ledger.get("team-a", "day")).toEqual({ requests: 2, inputTokens: 20, outputTokens: 10, costUsd: 0.002 });
    expect(await ledger.get("team-b", "day")).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
  });

  it("sweeps out ended periods once it grows past its threshold, and keeps the live ones", async () => {
    const clock = fakeClock();
    const ledger = new MemoryLedger(clock);
    for (let i = 0; i < 10_000; i++) ledger.add(`old-${i}`, "day", ONE);
    clock.advance(2 * 24 * 3600 * 1000);
    ledger.add("live", "day", ONE); // 10,001 entries: the sweep runs and leaves only the live one
    const internal = ledger as unknown as { totals: Map<string, unknown> };
    expect(internal.totals.size).toBe(1);
    expect((await ledger.get("live", "day")).requests).toBe(1);
  });

  it("does not sweep on every add while more than the threshold is live (the threshold doubles)", () => {
    const clock = fakeClock();
    const ledger = new MemoryLedger(clock);
    for (let i = 0; i <= 10_000; i++) ledger.add(`c-${i}`, "month", ONE);
    // 10,001 live entries: one sweep found nothing to remove; the next one waits until twice as many.
    expect((ledger as unknown as { sweepAbove: number }).sweepAbove).toBe(20_002);
  });
});
