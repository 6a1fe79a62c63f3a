import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openAiStream } from "../../src/ai/openai/stream.js";
import { SseParser } from "../../src/ai/sse.js";
import { usageOf } from "../../src/usage/extract.js";
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

/** The translator as it was before events were split as bytes: every event decoded and parsed, the kept ones encoded again. */
function reference(includeUsage: boolean) {
  const parser = new SseParser();
  let usage: { inputTokens: number; outputTokens: number } | null = null;
  let done = false;
  let failed = false;
  return {
    push(bytes: Buffer): Buffer[] {
      const out: Buffer[] = [];
      for (const e of parser.push(bytes)) {
        if (e.data === "[DONE]") {
          done = true;
          out.push(Buffer.from(e.raw));
          continue;
        }
        let parsed: Record<string, unknown> | undefined;
        if (/"usage":\s*\{/.test(e.data) || e.data.startsWith('{"error"')) {
          try {
            parsed = JSON.parse(e.data) as Record<string, unknown>;
          } catch {
            parsed = undefined;
          }
        }
        if (parsed?.error !== undefined) failed = true;
        const u = parsed === undefined ? null : usageOf(parsed);
        if (u !== null && (u.inputTokens !== undefined || u.outputTokens !== undefined)) {
          usage = { inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0 };
          if (!includeUsage && Array.isArray(parsed?.choices) && (parsed!.choices as unknown[]).length === 0) continue;
        }
        out.push(Buffer.from(e.raw));
      }
      return out;
    },
    end: () => (done || failed ? [] : [Buffer.from("truncated")]),
    usage: () => usage,
    failed: () => failed || !done,
  };
}

describe("openAiStream against the text parser it replaced", () => {
  // Events an upstream may send, the odd ones included.
  const content = fc.string({ unit: fc.constantFrom("a", "é", "日", "🙂", " ", '"', "\\", "usage", ":", "{", "}") });
  const event = fc.oneof(
    content.map((c) => `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: c } }], usage: null })}\n\n`),
    content.map((c) => `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: c } }] })}\n\n`),
    fc.constantFrom(
      `data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\n`,
      `data: {"id":"c","choices":[],"usage" :{"prompt_tokens":1}}\n\n`,
      `data: {"id":"c","choices":[],"usage":\t{"prompt_tokens":2,"completion_tokens":2}}\n\n`,
      `data: {"id":"c","choices":[],"usage":\u00a0{"prompt_tokens":9,"completion_tokens":9}}\n\n`,
      `data: {"id":"c","choices":[],"usage":  null}\n\n`,
      `data: {"id":"c","choices":[],"usage":{"prompt_tokens":4,\ndata: "completion_tokens":4}}\n\n`,
      `data: {"id":"c","choices":[{"delta":{}}],"usage":{"prompt_tokens":5,"completion_tokens":6}}\n\n`,
      `data: {"error":{"message":"boom"}}\n\n`,
      `data:{"error":{"message":"no space"}}\n\n`,
      `: keep-alive\n\n`,
      `event: ping\ndata: {}\n\n`,
      `data: {"usage":\n\n`,
      `\n\n`,
      `data: [DONE]\n\n`,
    ),
  );
  const stream = fc.record({
    events: fc.array(event, { maxLength: 12 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
  });

  it("gives the client the same bytes, usage and outcome for any stream and any split", () => {
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 10 }), fc.boolean(), fc.boolean(), ({ events, crlf, bom }, cuts, includeUsage, empties) => {
        let text = events.join("");
        if (crlf) text = text.replaceAll("\n", "\r\n");
        const whole = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(whole.subarray(at, p));
          at = p;
        }
        chunks.push(whole.subarray(at));
        // Empty chunks between the others, when asked (a source may hand one on).
        if (empties) for (let i = chunks.length - 1; i > 0; i--) chunks.splice(i, 0, Buffer.alloc(0));
        const t = openAiStream(ctx(includeUsage));
        const r = reference(includeUsage);
        const got: Buffer[] = [];
        const want: Buffer[] = [];
        for (const c of chunks) {
          got.push(...t.push(c));
          want.push(...r.push(c));
        }
        expect(Buffer.concat(got).toString()).toBe(Buffer.concat(want).toString());
        expect(t.usage()).toEqual(r.usage());
        t.end();
        expect(t.failed()).toBe(r.failed());
      }),
      { numRuns: 2000 },
    );
  });
});
