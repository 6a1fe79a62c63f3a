import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PendingBody, type BodySink } from "../../src/upstream/body.js";

/** A sink that records what it gets and asks to pause as `pauses` says (cycled). */
function recorder(pauses: boolean[]) {
  const got: Buffer[] = [];
  const ends: string[] = [];
  let n = 0;
  const sink: BodySink = {
    onData(chunk) {
      got.push(chunk);
      return !pauses[n++ % pauses.length];
    },
    onEnd: () => ends.push("end"),
    onError: (err) => ends.push(`error:${err.message}`),
  };
  return { sink, got, ends };
}

type Step = { kind: "data"; bytes: Buffer } | { kind: "start" } | { kind: "resume" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b): Step => ({ kind: "data", bytes: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "start" }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: "resume" }) },
);

describe("PendingBody", () => {
  it("delivers every byte once, in order, then the end, whatever the timing and pauses (property)", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), (steps, pauses) => {
        const body = new PendingBody();
        const { sink, got, ends } = recorder(pauses);
        const sent: Buffer[] = [];
        for (const s of steps) {
          if (s.kind === "data") {
            sent.push(s.bytes);
            body.data(s.bytes);
          } else if (s.kind === "start") {
            if (!body.started) body.start(sink);
          } else if (body.started) body.resume();
        }
        body.finish();
        if (!body.started) body.start(sink);
        // A paused sink is resumed until everything is through.
        for (let i = 0; i < 100 && ends.length === 0; i++) body.resume();
        expect(Buffer.concat(got)).toEqual(Buffer.concat(sent));
        expect(ends).toEqual(["end"]);
      }),
      { numRuns: 2_000 },
    );
  });

  it("hands chunks that arrived before the sink on as one", () => {
    const body = new PendingBody();
    for (const part of ["data: a\n\n", "data: b\n\n", "data: c\n\n"]) body.data(Buffer.from(part));
    body.finish();
    const { sink, got, ends } = recorder([false]);
    body.start(sink);
    expect(got.map((b) => b.toString())).toEqual(["data: a\n\ndata: b\n\ndata: c\n\n"]);
    expect(ends).toEqual(["end"]);
  });

  it("fails at once with what is held dropped, and says nothing after a drop", () => {
    const body = new PendingBody();
    body.data(Buffer.from("x"));
    const { sink, got, ends } = recorder([true]);
    body.start(sink);
    body.data(Buffer.from("y"));
    body.fail(new Error("reset"));
    expect(got.map((b) => b.toString())).toEqual(["x"]);
    expect(ends).toEqual(["error:reset"]);
    const other = new PendingBody();
    const late = recorder([false]);
    other.start(late.sink);
    other.drop();
    other.data(Buffer.from("z"));
    other.finish();
    expect(late.got).toEqual([]);
    expect(late.ends).toEqual([]);
  });
});
