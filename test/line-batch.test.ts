import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { LineBatch } from "../src/observability/line-batch.js";
import { spawnGateway, type ChildGateway } from "./helpers/child.js";
import { ConfigDir } from "./helpers/config-dir.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";

/** A target that records what it is handed. */
function recorder() {
  const chunks: string[] = [];
  let flushes = 0;
  let syncFlushes = 0;
  return {
    chunks,
    target: {
      write: (chunk: string) => void chunks.push(chunk),
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
        expect(r.chunks.join("")).toBe(lines.join(""));
        let at = 0;
        for (const chunk of r.chunks) {
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

describe("stdout of a real `aigw serve`", () => {
  let up: FakeUpstream | undefined;
  let gw: ChildGateway | undefined;
  afterEach(async () => {
    if (gw !== undefined && gw.child.exitCode === null) gw.child.kill("SIGKILL");
    gw = undefined;
    await up?.close();
  });

  it("writes every access line, the last ones gathered in a batch included, before it exits on SIGTERM", async () => {
    up = await new FakeUpstream().start();
    const { file } = new ConfigDir(
      "in-place",
      `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`,
    );
    gw = await spawnGateway(file);
    const ids = Array.from({ length: 150 }, (_, i) => `batch-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map((id) => fetch(`${gw!.dataUrl}/x`, { headers: { "x-request-id": id } }).then((r) => r.text())));
    }
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const logged = gw.logs.filter((l) => l.type === "access").map((l) => l.requestId);
    expect(logged.sort()).toEqual([...ids].sort());
    expect(gw.logs.at(-1)?.msg).toBe("shutdown complete");
  });
});
