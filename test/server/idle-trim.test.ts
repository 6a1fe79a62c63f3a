import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEFAULT_IDLE_MS, IDLE_CHECK_MS, fullGc, idleTrimMs, trimWhenIdle } from "../../src/server/idle-trim.js";

/** A hand-driven interval: `tick()` runs the callback as the timer would. */
function fakeTimer() {
  let fn: (() => void) | null = null;
  let ms = 0;
  let cleared = false;
  return {
    setInterval: (f: () => void, every: number) => {
      fn = f;
      ms = every;
      return { unref: () => undefined };
    },
    clearInterval: () => {
      cleared = true;
    },
    tick: () => fn?.(),
    get ms() {
      return ms;
    },
    get cleared() {
      return cleared;
    },
  };
}

describe("trimWhenIdle", () => {
  it("collects once after idleMs of quiet that followed traffic, and again only after new traffic", () => {
    const timer = fakeTimer();
    let clock = 0;
    let requests = 0;
    let inFlight = 0;
    let collected = 0;
    const stop = trimWhenIdle({ idleMs: 20_000, activity: () => requests, inFlight: () => inFlight, collect: () => collected++, now: () => clock, ...timer });
    expect(timer.ms).toBe(IDLE_CHECK_MS);
    const check = (ms = IDLE_CHECK_MS): void => {
      clock += ms;
      timer.tick();
    };

    for (let i = 0; i < 6; i++) check(); // no traffic yet: nothing to hand back
    expect(collected).toBe(0);

    requests += 10;
    check(); // traffic during this check's interval: quiet starts now
    check();
    check();
    check();
    expect(collected).toBe(0); // 15 s of quiet
    check();
    expect(collected).toBe(1); // 20 s of quiet: trim
    check();
    check();
    expect(collected).toBe(1); // still quiet: once is enough

    requests += 1;
    check();
    for (let i = 0; i < 3; i++) check();
    requests += 1; // traffic again before 20 s of quiet: the count starts over
    check();
    for (let i = 0; i < 3; i++) check();
    expect(collected).toBe(1);
    check();
    expect(collected).toBe(2);

    requests += 1;
    inFlight = 1; // a long request (a stream) started and is still running
    for (let i = 0; i < 8; i++) check();
    expect(collected).toBe(2);
    inFlight = 0; // the stream ended: quiet counts from the last check that saw it
    for (let i = 0; i < 3; i++) check();
    expect(collected).toBe(2);
    check();
    expect(collected).toBe(3);

    stop();
    expect(timer.cleared).toBe(true);
  });

  it("checks every idleMs when that is shorter than the check interval", () => {
    const timer = fakeTimer();
    let clock = 0;
    let requests = 0;
    let collected = 0;
    trimWhenIdle({ idleMs: 1000, activity: () => requests, inFlight: () => 0, collect: () => collected++, now: () => clock, ...timer });
    expect(timer.ms).toBe(1000);
    requests = 1;
    clock += 1000;
    timer.tick();
    clock += 1000;
    timer.tick();
    expect(collected).toBe(1);
  });

  it("is off at 0", () => {
    const timer = fakeTimer();
    trimWhenIdle({ idleMs: 0, activity: () => 0, inFlight: () => 0, collect: () => undefined, ...timer });
    expect(timer.ms).toBe(0);
  });
});

describe("idleTrimMs", () => {
  it("reads AIGW_IDLE_GC_MS, a minute by default, 0 turns it off", () => {
    expect(DEFAULT_IDLE_MS).toBe(60_000);
    expect(idleTrimMs({})).toBe(DEFAULT_IDLE_MS);
    expect(idleTrimMs({ AIGW_IDLE_GC_MS: "" })).toBe(DEFAULT_IDLE_MS);
    expect(idleTrimMs({ AIGW_IDLE_GC_MS: "0" })).toBe(0);
    expect(idleTrimMs({ AIGW_IDLE_GC_MS: "12000" })).toBe(12000);
    expect(idleTrimMs({ AIGW_IDLE_GC_MS: "soon" })).toBe(DEFAULT_IDLE_MS);
  });
});

describe("fullGc", () => {
  it("frees garbage without --expose-gc and leaves no global gc behind", () => {
    // A fresh process: the heap grows with garbage, then one call hands it back.
    const script = `
      import v8 from "node:v8";
      import { fullGc } from "./dist/server/idle-trim.js";
      const gc = fullGc();
      let keep = [];
      for (let i = 0; i < 300000; i++) keep.push({ i, s: "x" + i });
      keep = null;
      const before = v8.getHeapStatistics().used_heap_size;
      gc();
      const after = v8.getHeapStatistics().used_heap_size;
      console.log(JSON.stringify({ before, after, globalGc: typeof globalThis.gc }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("../..", import.meta.url).pathname, encoding: "utf8" })) as { before: number; after: number; globalGc: string };
    expect(out.after).toBeLessThan(out.before / 2);
    expect(out.globalGc).toBe("undefined");
  });

  it("compacts (unless AIGW_IDLE_GC_COMPACT=0): an old space left sparse by a load shrinks to about what is live", () => {
    // Objects promoted to the old space, then seven in eight dropped: every page
    // keeps a few live objects. A plain full GC frees the objects but keeps the
    // pages (measured: 56 MB of old space for 10 MB live); a compacting one moves
    // the survivors together and hands the pages back.
    const script = `
      import v8 from "node:v8";
      import { fullGc } from "./dist/server/idle-trim.js";
      const gc = fullGc(true);
      let keep = [];
      for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i, a: [i, i + 1] });
      gc(); gc();
      keep = keep.filter((_, i) => i % 8 === 0);
      gc();
      const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space");
      console.log(JSON.stringify({ size: old.space_size, used: old.space_used_size, kept: keep.length }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("../..", import.meta.url).pathname, encoding: "utf8" })) as { size: number; used: number; kept: number };
    expect(out.kept).toBe(50000);
    expect(out.size).toBeLessThan(out.used * 1.5);
  });

  it("returns a function in this process too", () => {
    const gc = fullGc();
    expect(typeof gc).toBe("function");
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
