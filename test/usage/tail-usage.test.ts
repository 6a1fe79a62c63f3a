/**
 * The usage read from an answer's last member must be what parsing the
 * whole answer gives (`usageOf(JSON.parse(text))`) for every valid JSON
 * text, and reading must never throw on any text.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { usageOf } from "../../src/usage/extract.js";
import { tailUsage } from "../../src/usage/tail-usage.js";

const FIXTURES = new URL("../fixtures/ai/", import.meta.url);

/** A key as JSON text: plainly, or with every character escaped (`"us\u0061ge"` is `usage`). */
const keyText = (key: string, escaped: boolean): string =>
  escaped ? `"${[...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"` : JSON.stringify(key);

const usageValue = fc.oneof(
  fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat(), prompt_tokens_details: fc.record({ cached_tokens: fc.nat() }) }, { requiredKeys: ["prompt_tokens"] }),
  fc.record({ input_tokens: fc.nat(), output_tokens: fc.nat(), cache_read_input_tokens: fc.nat() }, { requiredKeys: ["input_tokens"] }),
  fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() }),
  fc.record({ note: fc.string(), nested: fc.jsonValue() }),
  fc.jsonValue(),
);
const key = fc.oneof(fc.constantFrom("usage", "model", "choices", "message", "us\\age", "usage ", "Usage"), fc.string());
const value = fc.oneof(fc.jsonValue(), usageValue, fc.string(), fc.constant({ usage: { prompt_tokens: 7, completion_tokens: 9 } }), fc.constant('"usage":{"prompt_tokens":1}}'));
const blank = fc.constantFrom("", " ", "\n", "\r\n\t  ");
const member = fc.tuple(key, value, fc.boolean(), blank);

/** An object written out member by member (keys may repeat), with blanks between tokens. */
function objectText(members: [string, unknown, boolean, string][]): string {
  return `{${members.map(([k, v, escaped, ws]) => `${ws}${keyText(k, escaped)}${ws}:${ws}${JSON.stringify(v, null, ws === "" ? 0 : 2)}${ws}`).join(",")}}`;
}

describe("tailUsage", () => {
  it("reads the usage of the OpenAI fixtures' answers as parsing them whole does", () => {
    for (const file of ["openai/chat.response.json", "openai/chat.tools.response.json"]) {
      const text = readFileSync(new URL(file, FIXTURES), "utf8");
      const got = tailUsage(text);
      expect(got, file).not.toBeNull();
      expect(got).toEqual(usageOf(JSON.parse(text)));
    }
  });

  it("gives what parsing the whole text gives, for any JSON object (property)", () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 8 }), usageValue, fc.boolean(), fc.boolean(), blank, (members, usage, escaped, last, ws) => {
        const all: [string, unknown, boolean, string][] = [...members];
        if (last) all.push(["usage", usage, escaped, ws]);
        const text = objectText(all);
        const got = tailUsage(text);
        const expected = usageOf(JSON.parse(text));
        if (got !== null) expect(got).toEqual(expected);
        // Read from the tail whenever the last member is a usage object with counts in it.
        if (last && usage !== null && typeof usage === "object" && !Array.isArray(usage) && expected !== null) expect(got).not.toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it("never throws, and agrees with a whole parse whenever the text is JSON, for any text (property)", () => {
    const mutated = fc.tuple(fc.array(member, { maxLength: 6 }), fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 })).map(([members, at, cut, insert]) => {
      const text = objectText([...members, ["usage", { prompt_tokens: 1, completion_tokens: 2 }, false, ""]]);
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + cut);
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), mutated), (text) => {
        const got = tailUsage(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        if (got !== null) expect(got).toEqual(usageOf(parsed));
      }),
      { numRuns: 3000 },
    );
  });

  it("reads past long runs of backslashes and quotes, and leaves a usage member over 16 KiB to the whole parse", () => {
    const tricky = `{"a":"${'\\\\\\"'.repeat(2000)}","usage":{"note":"${'\\"}{'.repeat(100)}","prompt_tokens":3,"completion_tokens":4}}`;
    expect(tailUsage(tricky)).toEqual({ inputTokens: 3, outputTokens: 4 });
    const large = `{"usage":{"note":"${"x".repeat(20_000)}","prompt_tokens":1}}`;
    expect(tailUsage(large)).toBeNull();
    // Whatever follows the usage member is walked within a 16 KiB window: a long
    // string of escaped quotes after it, or a long number, is left to the whole parse.
    const quotesAfter = `{"usage":{"prompt_tokens":1},"x":"${'\\"'.repeat(200_000)}"}`;
    expect(tailUsage(quotesAfter)).toBeNull();
    expect(usageOf(JSON.parse(quotesAfter))).toEqual({ inputTokens: 1, outputTokens: 0 });
    expect(tailUsage(`{"usage":{"prompt_tokens":1},"n":${"9".repeat(50_000)}}`)).toBeNull();
    expect(tailUsage(`{"usage":{"prompt_tokens":1},"n":${"9".repeat(50)}}`)).toEqual({ inputTokens: 1, outputTokens: 0 });
  });
});
