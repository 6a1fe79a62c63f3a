import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineBatch } from "../../src/observability/line-batch.js";

/** A target that records what it is handed (read as text only when asked: a buffer reused later would show). */
function recorder() {
  const buffers: Buffer[] = [];
  let flushes = 0;
  let syncFlushes = 0;
  return {
    get chunks(): string[] {
      return buffers.map((b) => b.toString("utf8"));
    },
    target: {
      write: (chunk: Buffer) => void buffers.push(chunk),
      flush: () => void flushes++,
      flushSync: () => void syncFlushes++,
      destroyed: false,
    },
    get flushes() {
      return flushes;
    },
    get syncFlushes() {
      return syncFlushes;
    },
  };
}

const line = fc.string({ unit: fc.constantFrom("a", "é", "😀", "\"", " "), maxLength: 300 }).map((s) => `{"msg":"${s}"}\n`);

describe("LineBatch", () => {
  it("hands on whole lines in order, in batches of at most maxBytes, a longer line alone", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 200 }), fc.integer({ min: 64, max: 4096 }), (lines, maxBytes) => {
        const r = recorder();
        const batch = new LineBatch(r.target, maxBytes);
        for (const l of lines) batch.write(l);
        batch.flush();
        const chunks = r.chunks;
        expect(chunks.join("")).toBe(lines.join(""));
        let at = 0;
        for (const chunk of chunks) {
          // Every chunk is a run of whole lines, and within the limit unless it is one line.
          let taken = "";
          let count = 0;
          while (taken.length < chunk.length) taken += lines[at + count++];
          expect(taken).toBe(chunk);
          if (count > 1) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(maxBytes);
          at += count;
        }
        expect(at).toBe(lines.length);
      }),
    );
  });

  it("takes ASCII lines (writeAscii) among the others, in order, in batches of at most maxBytes", () => {
    const asciiLine = fc.string({ unit: fc.constantFrom("a", "\\", '"', " ", "~"), maxLength: 300 }).map((s) => `{"msg":"${s}"}\n`);
    const entries = fc.array(fc.oneof(asciiLine.map((l) => ({ l, ascii: true })), line.map((l) => ({ l, ascii: false }))), { maxLength: 200 });
    fc.assert(
      fc.property(entries, fc.integer({ min: 64, max: 4096 }), (es, maxBytes) => {
        const r = recorder();
        const batch = new LineBatch(r.target, maxBytes);
        for (const e of es) {
          if (e.ascii) batch.writeAscii(e.l);
          else batch.write(e.l);
        }
        batch.flush();
        const chunks = r.chunks;
        expect(chunks.join("")).toBe(es.map((e) => e.l).join(""));
        for (const chunk of chunks) if (chunk.indexOf("\n") !== chunk.length - 1) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(maxBytes);
      }),
    );
  });

  it("hands a batch on as soon as it reaches maxBytes, and the rest on flush", () => {
    const r = recorder();
    const batch = new LineBatch(r.target, 100);
    const l = "x".repeat(39) + "\n"; // 40 bytes
    batch.write(l);
    batch.write(l);
    expect(r.chunks).toEqual([]);
    batch.write(l); // 120 > 100: the first two go, this one waits
    expect(r.chunks).toEqual([l + l]);
    batch.flush();
    expect(r.chunks).toEqual([l + l, l]);
    expect(r.flushes).toBe(1);
    batch.write("é".repeat(60) + "\n"); // 121 bytes in 61 characters: alone, at once
    expect(r.chunks).toHaveLength(3);
    batch.flushSync();
    expect(r.syncFlushes).toBe(1);
  });

  it("drops the lines it gathered when the target is destroyed (stdout closed)", () => {
    const r = recorder();
    const batch = new LineBatch(r.target, 100);
    batch.write("kept\n");
    batch.flush();
    batch.write("gone\n");
    r.target.destroyed = true;
    batch.flush();
    r.target.destroyed = false;
    batch.flush();
    expect(r.chunks).toEqual(["kept\n"]);
  });
});
