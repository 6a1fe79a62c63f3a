import { Worker } from "node:worker_threads";
import fc from "fast-check";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as glob from "../../src/compile/router/glob.js";
import * as detect from "../../src/plugins/builtin/detect.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Issue 23, item 4: linear time on every client-controlled string. The
 * adversarial inputs run against the built gateway (dist/) in a worker
 * thread: the code under test blocks the thread it runs on, so only the
 * worker stalls, the test's own timeout is the bound, and nothing here
 * measures time. Each input ends with a real match, which must still be
 * found (a long text is no way past a guard). The glob matcher is held to
 * a step count instead of a clock.
 */

const DIST = new URL("../../dist/", import.meta.url).href;
const BIG = 400_000;
const ADVERSARIAL_TIMEOUT = 15_000;

/** The worker: loads dist's detectors and globs, runs one job, posts the answer. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const { dist, job } = workerData;
  if (job.kind === "find") {
    const { compileMatcher } = await import(dist + "plugins/builtin/detect.js");
    const matcher = compileMatcher(job.config);
    const found = matcher.find(job.text).map((m) => [m.start, m.end]);
    parentPort.postMessage({ found, detected: matcher.detect(job.text) });
  } else {
    const { compileGlob } = await import(dist + "compile/router/glob.js");
    const g = compileGlob(job.pattern);
    parentPort.postMessage({ results: job.values.map((v) => g.test(v)) });
  }
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

type Job = { kind: "find"; config: { detectors?: string[]; patterns?: string[] }; text: string } | { kind: "glob"; pattern: string; values: string[] };

const running = new Set<Worker>();

/** Runs `job` against dist/ in a worker thread; a worker still busy when its test ends (timed out) is terminated. */
function inWorker<T>(job: Job): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { dist: DIST, job } });
    running.add(worker);
    worker.once("message", (msg: T & { error?: string }) => {
      running.delete(worker);
      void worker.terminate();
      if (msg.error !== undefined) reject(new Error(msg.error));
      else resolve(msg);
    });
    worker.once("error", (err) => {
      running.delete(worker);
      reject(err);
    });
  });
}

afterEach(async () => {
  await Promise.all([...running].map((w) => w.terminate()));
  running.clear();
});

/** What one detector config finds in `text` (dist/, in a worker): the matched strings, and whether `detect` (the block policy) fires. */
async function scan(config: { detectors?: string[]; patterns?: string[] }, text: string): Promise<{ matches: string[]; detected: string | null }> {
  const { found, detected } = await inWorker<{ found: [number, number][]; detected: string | null }>({ kind: "find", config, text });
  return { matches: found.map(([s, e]) => text.slice(s, e)), detected };
}

describe("400 KB adversarial inputs finish, and the real match after each is found (dist/, worker thread)", () => {
  it(
    "email: `a@` + `a.` × 200 000 (each start in a run of local-part characters rescanned the run)",
    async () => {
      const text = "a@" + "a.".repeat(200_000) + " write to bob@example.com";
      expect(text.length).toBeGreaterThanOrEqual(BIG);
      const r = await scan({ detectors: ["email"] }, text);
      expect(r.matches).toEqual(["bob@example.com"]);
      expect(r.detected).toBe("an e-mail address");
    },
    ADVERSARIAL_TIMEOUT,
  );

  it(
    "JWT: `eyJ…-` runs (each `eyJ` of a run scanned to its end)",
    async () => {
      const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZw";
      const text = "eyJaaaaaaaa-".repeat(BIG / 12) + " token " + jwt;
      const r = await scan({ detectors: ["apiKey"] }, text);
      expect(r.matches).toEqual([jwt]);
      expect(r.detected).toBe("an API key");
    },
    ADVERSARIAL_TIMEOUT,
  );

  it(
    "custom pattern quadratic in its input (`[a-z]+@corp` over 400 000 letters): each run sees a bounded window, every window is scanned",
    async () => {
      const text = "a".repeat(BIG) + " mail x@corp";
      const r = await scan({ patterns: ["[a-z]+@corp"] }, text);
      expect(r.matches).toEqual(["x@corp"]);
      expect(r.detected).toBe("a blocked pattern");
    },
    ADVERSARIAL_TIMEOUT,
  );

  it(
    "phone, card and the other API keys (linear before the fix too; kept linear)",
    async () => {
      const cases: [string, string, string][] = [
        // A `+` and a digit run too long for a number: every split of it into groups was retried.
        ["phone", ("+" + "1".repeat(24) + " ").repeat(BIG / 26), "+1 415 555 0100"],
        ["phone", ("+1" + " 1234".repeat(6) + "5 ").repeat(BIG / 34), "+44 20 7946 0958"],
        ["card", "1 ".repeat(BIG / 2), "4111 1111 1111 1111"],
        ["apiKey", "sk-aaaaaaaaaaaaaaaaa ".repeat(BIG / 21), "sk-proj-abcdefghijklmnopqrstuvwxyz"],
        ["apiKey", "xoxb-abc ".repeat(BIG / 9), "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
      ];
      for (const [detector, noise, real] of cases) {
        const r = await scan({ detectors: [detector] }, `${noise} and then ${real}.`);
        expect(r.matches.at(-1), detector).toBe(real);
        expect(r.detected, detector).not.toBeNull();
      }
    },
    ADVERSARIAL_TIMEOUT * 2,
  );

  it(
    "globs with several `*` (model, header and origin globs) against 400 000-character values",
    async () => {
      const cases: [string, string, boolean][] = [
        ["*a*a*a*b", "a".repeat(BIG), false],
        ["*a*a*a*b", "a".repeat(BIG) + "b", true],
        ["gpt-*-*-*-x", "gpt-" + "-".repeat(BIG), false],
        ["gpt-*-*-*-x", "gpt-" + "-".repeat(BIG) + "x", true],
        ["*?*?*?*z", "y".repeat(BIG), false],
        ["https://*.*.*.example.com", "https://" + ".".repeat(BIG), false],
      ];
      for (const [pattern, value, expected] of cases) {
        const { results } = await inWorker<{ results: boolean[] }>({ kind: "glob", pattern, values: [value] });
        expect(results, pattern).toEqual([expected]);
      }
    },
    ADVERSARIAL_TIMEOUT * 2,
  );
});

/** The glob as the old code compiled it: a backtracking regex, the reference for what a glob means. */
function oldGlobRegex(pattern: string): RegExp {
  const source = [...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))).join("");
  return new RegExp(`^${source}$`, "s");
}

describe("matchGlob: a two-pointer matcher with a step bound", () => {
  const small = fc.constantFrom("a", "b", ".", "-", "\n", "😀", "é");
  const patternChars = fc.oneof(small, fc.constantFrom("*", "*", "?"));
  const patterns = fc.array(patternChars, { maxLength: 10 }).map((a) => a.join(""));
  const values = fc.array(small, { maxLength: 16 }).map((a) => a.join(""));

  it("agrees with the old regex on random short patterns and values (property)", () => {
    fc.assert(
      fc.property(patterns, values, (pattern, value) => {
        const expected = oldGlobRegex(pattern).test(value);
        expect(glob.matchGlob(pattern, value)).toBe(expected);
        expect(glob.compileGlob(pattern).test(value)).toBe(expected);
        // The same with the pattern's own text as the value (a literal prefix that matches).
        expect(glob.compileGlob(pattern).test(pattern)).toBe(oldGlobRegex(pattern).test(pattern));
      }),
      { numRuns: 5000 },
    );
    // `?` takes one UTF-16 code unit, as the old regex (no `u` flag) did: an astral character is two.
    expect(glob.matchGlob("??", "😀")).toBe(true);
    expect(oldGlobRegex("??").test("😀")).toBe(true);
  });

  it("takes at most (n+1)(m+1)+m steps for a value of n and a pattern of m characters (property)", () => {
    const starry = fc.array(fc.constantFrom("*", "a", "b", "?"), { maxLength: 24 }).map((a) => a.join(""));
    const runs = fc.array(fc.constantFrom("a", "a", "a", "b"), { maxLength: 200 }).map((a) => a.join(""));
    fc.assert(
      fc.property(starry, runs, (pattern, value) => {
        const meter: glob.GlobMeter = { steps: 0 };
        glob.matchGlob(pattern, value, meter);
        expect(meter.steps).toBeLessThanOrEqual((value.length + 1) * (pattern.length + 1) + pattern.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("stays within the bound on the 400 KB adversarial values: linear in the value for a fixed pattern", () => {
    for (const [pattern, value] of [
      ["*a*a*a*b", "a".repeat(BIG)],
      ["*a*a*a*b", "a".repeat(BIG) + "b"],
      ["gpt-*-*-*-x", "gpt-" + "-".repeat(BIG)],
      ["*?*?*?*z", "y".repeat(BIG)],
    ] as const) {
      const meter: glob.GlobMeter = { steps: 0 };
      glob.matchGlob(pattern, value, meter);
      expect(meter.steps, pattern).toBeLessThanOrEqual((value.length + 1) * (pattern.length + 1) + pattern.length);
    }
  });
});

// The detectors as the old code wrote them: the reference for what each finds.
const OLD_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const OLD_API_KEY = new RegExp(
  [
    /\bsk-ant-[A-Za-z0-9_-]{16,}/,
    /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
    /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
    /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/,
    /\bAIza[0-9A-Za-z_-]{35}/,
    /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
    /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
    /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/,
  ]
    .map((r) => r.source)
    .join("|"),
  "g",
);

/** Every match of a global regex, as the old scan loop took them. */
function oldMatches(re: RegExp, text: string): [number, number][] {
  const out: [number, number][] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

const spans = (matcher: detect.Matcher, text: string): [number, number][] => matcher.find(text).map((m) => [m.start, m.end]);

describe("the linear detectors find exactly what the old regexes found", () => {
  it("email (property)", () => {
    const pieces = fc.constantFrom("a", "b", "Z", "0", ".", "..", "-", "_", "%", "+", "@", "@", "com", "io", "a.b", "x-y", " ", ",", "é", "bob@example.com", "@a.co", ".c");
    const texts = fc.array(pieces, { maxLength: 30 }).map((a) => a.join(""));
    const matcher = detect.compileMatcher({ detectors: ["email"] });
    // An address right after another, joined by a local-part character: the old regex took both.
    for (const text of ["write a@b.com_c@d.com now", "alice@corp.com+bob@corp.com", "x@y.io%z@w.io"]) {
      expect(spans(matcher, text), text).toEqual(oldMatches(OLD_EMAIL, text));
    }
    fc.assert(
      fc.property(texts, (text) => {
        expect(spans(matcher, text)).toEqual(oldMatches(OLD_EMAIL, text));
      }),
      { numRuns: 5000 },
    );
  });

  it("JWT, within the API-key detector (property)", () => {
    const pieces = fc.constantFrom("eyJ", "eyJ", "abcdefgh", "a", "b", "0", "9", "_", "-", ".", ".", " ", "!", "eyJabcdefghi.eyJabcdefghi.abcdefghi", "eyJa-");
    const texts = fc.array(pieces, { maxLength: 30 }).map((a) => a.join(""));
    const matcher = detect.compileMatcher({ detectors: ["apiKey"] });
    fc.assert(
      fc.property(texts, (text) => {
        expect(spans(matcher, text)).toEqual(oldMatches(OLD_API_KEY, text));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("custom patterns: bounded windows, every one scanned", () => {
  it("no execution sees more than CUSTOM_WINDOW + CUSTOM_OVERLAP characters from where it starts: a match longer than that is found cut", () => {
    expect(detect.CUSTOM_WINDOW).toBe(1024);
    expect(detect.CUSTOM_OVERLAP).toBe(256);
    const text = "see Z" + "a".repeat(5000) + " end";
    const found = detect.compileMatcher({ patterns: ["Z[a-z]+"] }).find(text);
    expect(found).toHaveLength(1);
    expect(found[0]!.start).toBe(4);
    expect(found[0]!.end - found[0]!.start).toBeLessThanOrEqual(detect.CUSTOM_WINDOW + detect.CUSTOM_OVERLAP);
  });

  it("matches no longer than CUSTOM_OVERLAP are the regex's own over the whole text, wherever the window edges fall (property)", () => {
    const pieces = fc.constantFrom("K", "k", "!", " ", "abc", "a".repeat(90), "a".repeat(250), "K" + "a".repeat(180) + "!", "\n");
    const texts = fc.array(pieces, { maxLength: 60 }).map((a) => a.join(""));
    const patterns = ["\\bK[a-z]{0,200}!", "(?i)k[a-z]{2,40}!"];
    const matchers = patterns.map((p) => detect.compileMatcher({ patterns: [p] }));
    const references = [/\bK[a-z]{0,200}!/g, /k[a-z]{2,40}!/gi];
    fc.assert(
      fc.property(texts, (text) => {
        for (let i = 0; i < patterns.length; i++) expect(spans(matchers[i]!, text)).toEqual(oldMatches(references[i]!, text));
      }),
      { numRuns: 1500 },
    );
  });
});

describe("a stream's held-back match is bounded", () => {
  let up: FakeUpstream;
  let gw: TestGateway;

  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-g", object: "chat.completion.chunk", created: 1, model: "gpt-4o", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

  beforeAll(async () => {
    // An `sk-` key that never ends: 40 chunks of 100 key characters after it.
    up = await new FakeUpstream((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "" }));
      res.write(chunk({ content: "Your key is sk-" }));
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i++ < 40) {
          res.write(chunk({ content: "A".repeat(100) }), next);
          return;
        }
        res.write(chunk({ content: " and that is all." }, "stop"));
        res.end("data: [DONE]\n\n");
      };
      next();
      void req;
    }).start();
    gw = await startTestGateway(`version: 1
upstreams: [{ name: up, type: openai, targets: [{ url: "${up.url}" }] }]
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: up
    plugins: [{ name: response-guard, config: { policy: redact, detectors: [apiKey], window: 64 } }]
`);
  });

  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it("redact: a match still growing past window + 1024 characters ends the stream as response_blocked", async () => {
    const client = new OpenAI({ apiKey: "sk-client", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "key?" }], stream: true });
    let text = "";
    let error: unknown = null;
    try {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("response_blocked");
    // Nothing of the key went out, redacted or not, and nothing after it.
    expect(text).toBe("Your key is ");
    expect(text).not.toContain("[API_KEY]");
  });
});
