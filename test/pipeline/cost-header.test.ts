import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costHeader } from "../../src/pipeline/ai/respond.js";

describe("x-aigw-cost-usd", () => {
  it("is the cost to eight decimals with trailing zeros trimmed and one kept after the point", () => {
    expect(costHeader(null)).toBeUndefined();
    expect(costHeader(0)).toBe("0.0");
    expect(costHeader(1)).toBe("1.0");
    expect(costHeader(0.0015)).toBe("0.0015");
    expect(costHeader(12.5)).toBe("12.5");
    expect(costHeader(0.000000004)).toBe("0.0");
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (cost) => {
        expect(costHeader(cost)).toBe(cost.toFixed(8).replace(/0+$/, "").replace(/\.$/, ".0"));
      }),
      { numRuns: 2000 },
    );
  });
});
