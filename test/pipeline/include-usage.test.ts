import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withIncludeUsage } from "../../src/pipeline/ai/openai-dialect.js";

describe("withIncludeUsage", () => {
  it("adds stream_options.include_usage to any JSON object that has members, keeping every other member as sent", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string().filter((k) => k !== "stream_options" && k !== "__proto__"), fc.jsonValue(), { minKeys: 1 }),
        fc.constantFrom("", " ", "\n\t "),
        (object, lead) => {
          const body = Buffer.from(lead + JSON.stringify(object));
          const out = withIncludeUsage(body);
          expect(out).not.toBeNull();
          expect(JSON.parse(out!.toString())).toEqual({ stream_options: { include_usage: true }, ...JSON.parse(body.toString()) });
        },
      ),
    );
  });

  it("declines what does not start with an object", () => {
    expect(withIncludeUsage(Buffer.from('["a"]'))).toBeNull();
    expect(withIncludeUsage(Buffer.from(""))).toBeNull();
    expect(withIncludeUsage(Buffer.from("\uFEFF{}"))).toBeNull();
  });
});
