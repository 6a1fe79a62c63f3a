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

  it("drops a period's totals once it has ended, and counts the new period from zero", async () => {
    const clock = fakeClock();
    const ledger = new MemoryLedger(clock);
    for (let i = 0; i < 10_000; i++) ledger.add(`old-${i}`, "day", ONE);
    ledger.add("old-0", "month", ONE);
    expect(ledger.size).toBe(10_001);
    clock.advance(2 * 24 * 3600 * 1000);
    ledger.add("live", "day", ONE);
    // The ended day is gone whole; the month has not ended.
    expect(ledger.size).toBe(2);
    expect(await ledger.get("old-0", "day")).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect((await ledger.get("old-0", "month")).requests).toBe(1);
    expect((await ledger.get("live", "day")).requests).toBe(1);
  });

  it("splits at the calendar boundary (UTC); a clock stepping back keeps the later period's totals", async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 31, 23, 59, 59, 999));
    const ledger = new MemoryLedger(clock);
    ledger.add("a", "day", ONE);
    ledger.add("a", "month", ONE);
    clock.advance(1); // 2030-02-01T00:00:00.000Z: a new day and a new month
    expect(await ledger.get("a", "day")).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect((await ledger.get("a", "month")).requests).toBe(0);
    ledger.add("a", "day", ONE);
    ledger.add("a", "day", ONE);
    clock.advance(-1000); // stepped back into January 31st: its totals went when it ended, it counts again from zero
    expect((await ledger.get("a", "day")).requests).toBe(0);
    ledger.add("a", "day", ONE);
    expect((await ledger.get("a", "day")).requests).toBe(1);
    clock.advance(2000); // forward again into February 1st: its totals were kept (it has not ended)
    expect((await ledger.get("a", "day")).requests).toBe(2);
  });

  it("keeps a total apart from the delta it was made from (the caller may reuse its object)", async () => {
    const ledger = new MemoryLedger(fakeClock());
    const delta = { ...ONE };
    ledger.add("a", "day", delta);
    ledger.add("a", "day", delta);
    expect(delta).toEqual(ONE);
    expect((await ledger.get("a", "day")).requests).toBe(2);
  });
});
