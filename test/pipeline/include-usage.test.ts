import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withIncludeUsage } from "../../src/pipeline/ai/openai-dialect.js";

describe("withIncludeUsage", () => {
  it("adds stream_options.include_usage as the last member of any JSON object, keeping every other member as sent", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string().filter((k) => k !== "stream_options" && k !== "__proto__"), fc.jsonValue()),
        fc.constantFrom("", " ", "\n\t "),
        (object, blank) => {
          const body = Buffer.from(blank + JSON.stringify(object, null, blank === "" ? undefined : 1) + blank);
          const out = withIncludeUsage(body);
          expect(out).not.toBeNull();
          const parsed = JSON.parse(out!.toString()) as Record<string, unknown>;
          expect(parsed).toEqual({ ...JSON.parse(body.toString()), stream_options: { include_usage: true } });
          expect(Object.keys(parsed).at(-1)).toBe("stream_options");
        },
      ),
    );
  });

  it("declines what does not end an object", () => {
    expect(withIncludeUsage(Buffer.from('["a"]'))).toBeNull();
    expect(withIncludeUsage(Buffer.from(""))).toBeNull();
    expect(withIncludeUsage(Buffer.from("}"))).toBeNull();
  });
});
