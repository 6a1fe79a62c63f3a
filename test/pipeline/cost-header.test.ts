import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costHeader } from "../../src/pipeline/ai/respond.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway } from "../helpers/gateway.js";

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

describe("the answer's model in the price", () => {
  it("prices a request by its answer's model when its own has no price, and meters the usage either way", async () => {
    // The usage of an answer is read from its end when nothing needs the
    // whole answer; its model must still reach pricing when the request's
    // own model is not priced.
    const up = await new FakeUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "c", object: "chat.completion", model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 1_000_000, completion_tokens: 0 }, service_tier: "default" }));
    }).start();
    const gw = await startTestGateway(`version: 1
upstreams: [{ name: openai, type: openai, targets: [{ url: "${up.url}" }] }]
pricing: [{ model: "gpt-4o-2024*", input: 2.5, output: 10 }]
routes: [{ name: chat, match: { path: /v1/chat/completions }, upstream: openai }]
`);
    try {
      const ask = (model: string): Promise<Response> =>
        fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }) });
      // `gpt-4o` has no price: the answer's `gpt-4o-2024-08-06` has, 1M input tokens at $2.5.
      expect((await ask("gpt-4o")).headers.get("x-aigw-cost-usd")).toBe("2.5");
      // Priced by its own model: the same.
      expect((await ask("gpt-4o-2024-05-13")).headers.get("x-aigw-cost-usd")).toBe("2.5");
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
