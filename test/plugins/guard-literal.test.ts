import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileMatcher } from "../../src/plugins/builtin/detect.js";
import { requiredLiteral } from "../../src/plugins/builtin/literal.js";

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

  it("the one-regex check for case-insensitive literals rules out no text a pattern matches", () => {
    // Several case-insensitive patterns, so the matcher tests one alternation of
    // their literals before any of them; the reference runs each regex alone.
    const patterns = ["(?i)password\\s*[:=]", "(?i)secret\\s*[:=]", "(?i)salary (band|grade) [a-z][0-9]", "(?i)internal use only", "(?i)do not distribute", "\\bPOL-[0-9]{2}\\b"];
    const matcher = compileMatcher({ patterns });
    const regexes = patterns.map((p) => (p.startsWith("(?i)") ? new RegExp(p.slice(4), "gi") : new RegExp(p, "g")));
    const reference = (t: string): [number, number][] => {
      const all: [number, number][] = [];
      for (const re of regexes) for (const m of t.matchAll(re)) if (m[0].length > 0) all.push([m.index, m.index + m[0].length]);
      all.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      const out: [number, number][] = [];
      for (const m of all) if (out.length === 0 || m[0] >= out[out.length - 1]![1]) out.push(m);
      return out;
    };
    const pieces = ["pass", "word", "PassWord", "SECRET", "sec", "ret", ":", "=", " ", "salary ", "Band ", "b7", "internal use ", "ONLY", "do not ", "Distribute", "POL-", "12", "ſ", "İ", "K", "x"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 16 }), (parts) => {
        const t = parts.join("");
        const found = matcher.find(t).map((m): [number, number] => [m.start, m.end]);
        expect(found).toEqual(reference(t));
        expect(matcher.detect(t) !== null).toBe(found.length > 0);
      }),
      { numRuns: 3000 },
    );
  });

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
