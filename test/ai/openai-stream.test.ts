import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openAiStream } from "../../src/ai/openai/stream.js";
import type { TranslateContext } from "../../src/ai/types.js";

const ctx = (includeUsage: boolean): TranslateContext => ({ model: "m", defaultMaxTokens: 4096, nowSeconds: 1, id: "chatcmpl-x", includeUsage });

const chunk = (content: string): string => `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content } }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } })}\n\n`;
const DONE = "data: [DONE]\n\n";

describe("openAiStream pass-through", () => {
  it("sends a chunk of whole events on as the very same bytes", () => {
    const t = openAiStream(ctx(true));
    const bytes = Buffer.from(chunk("héllo") + chunk("wörld"));
    const out = t.push(bytes);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(bytes);
  });

  it("encodes the events kept when one is dropped (the usage chunk the client did not ask for)", () => {
    const t = openAiStream(ctx(false));
    const out = t.push(Buffer.from(chunk("a") + USAGE + DONE));
    expect(Buffer.concat(out).toString()).toBe(chunk("a") + DONE);
    expect(t.usage()).toEqual({ inputTokens: 7, outputTokens: 3 });
  });

  it("relays any split of a stream byte for byte (multi-byte characters and CRLF events included), minus a dropped usage chunk", () => {
    const parts = [chunk("Grüße, "), "data: {\"choices\":[{\"delta\":{\"content\":\"日本\"}}]}\r\n\r\n", chunk("🙂 end"), USAGE, DONE];
    const whole = Buffer.from(parts.join(""));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }), fc.boolean(), (cuts, includeUsage) => {
        const t = openAiStream(ctx(includeUsage));
        const out: Buffer[] = [];
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          out.push(...t.push(whole.subarray(at, cut)));
          at = cut;
        }
        out.push(...t.push(whole.subarray(at)));
        out.push(...t.end());
        const expected = includeUsage ? parts.join("") : parts.filter((p) => p !== USAGE).join("");
        expect(Buffer.concat(out).toString()).toBe(expected);
        expect(t.failed()).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
