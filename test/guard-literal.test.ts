import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileMatcher } from "../src/plugins/builtin/detect.js";
import { requiredLiteral } from "../src/plugins/builtin/literal.js";

describe("requiredLiteral: the text every match of a guard pattern contains", () => {
  it("finds the longest provable run, and gives up when it cannot prove one", () => {
    const cases: [string, string | null][] = [
      ["\\bPOL-[0-9]{8}\\b", "POL-"],
      ["\\b[a-z0-9-]+\\.corp\\.example\\.com\\b", ".corp.example.com"],
      ["project\\s+(falcon|osprey)", "project"],
      ["colou?r scheme", "r scheme"],
      ["ab+cdef", "cdef"],
      ["xy{0,2}zzz", "zzz"],
      ["a{2}bcd", "bcd"],
      ["abc*defg", "defg"],
      ["foo|barbaz", null],
      ["[|]abc", "abc"],
      ["(?:secret|token)=", null],
      ["\\d\\d", null],
      ["ab", null],
      ["x(?=abcd)abcde", "abcde"],
      ["a.b.c.d", null],
      ["a\\.b\\.c", "a.b.c"],
      ["caf\\u00e9 au lait", " au lait"],
      ["\\x41BCD", "BCD"],
      ["\\x41\\x42", null],
      ["\\1234abc", "abc"],
      ["\\k<name>abc", "abc"],
      ["\\cJabc", "abc"],
    ];
    for (const [source, literal] of cases) expect(requiredLiteral(source), source).toBe(literal);
  });

  const PATTERNS = ["colou?r sch", "ab+cd[0-9]", "x{0,2}yz(a|b)w", "(?i)Pass\\s*word!", "\\bINV-[0-9]{2}", "(?i)merger with [A-Z]", "q?rst*uv+w"];
  for (const pattern of PATTERNS) {
    it(`never rules out a text the regex matches: ${pattern}`, () => {
      const insensitive = pattern.startsWith("(?i)");
      const source = insensitive ? pattern.slice(4) : pattern;
      const re = new RegExp(source, insensitive ? "i" : "");
      const literal = requiredLiteral(source);
      const alphabet = [...new Set([...source.replace(/[\\[\](){}?*+|]/g, ""), "0", "1", " ", "a", "b", "A", "ſ", "K", "İ"])];
      // Texts built from the pattern's own characters, plus near-misses made by changing case.
      const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((a) => a.join(""));
      fc.assert(
        fc.property(text, fc.boolean(), (t, upper) => {
          const s = upper ? t.toUpperCase() : t;
          if (literal === null || !re.test(s)) return true;
          return insensitive ? s.toLowerCase().includes(literal.toLowerCase()) : s.includes(literal);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it("a matcher with literal prefilters finds the same matches as the plain regexes", () => {
    const patterns = ["\\bPOL-[0-9]{8}\\b", "(?i)internal use only", "(?i)password\\s*[:=]", "\\b[A-Z]{3}-RESTRICTED\\b", "[0-9]{3}-x"];
    const matcher = compileMatcher({ patterns });
    const text = "see POL-12345678 and INTERNAL Use Only; PassWord = x; ABC-RESTRICTED and 123-x; POL-1 not";
    const found = matcher.find(text).map((m) => text.slice(m.start, m.end));
    expect(found).toEqual(["POL-12345678", "INTERNAL Use Only", "PassWord =", "ABC-RESTRICTED", "123-x"]);
    expect(matcher.find("nothing to see here")).toEqual([]);
    expect(matcher.detect("the pAsSwOrD: hunter2")).toBe("a blocked pattern");
  });
});
