import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// A fresh process each, so the heap starts at V8's initial size.
function newSpaceAfterBuild(capMb: number): number {
  const script = `
    import v8 from "node:v8";
    import { capYoungGeneration } from "./dist/server/young-generation.js";
    const stop = capYoungGeneration(${capMb});
    // A long synchronous task that keeps what it allocates, like a large config's first compile.
    const keep = [];
    for (let i = 0; i < 2_000_000; i++) keep.push({ i, s: "route-" + i });
    const size = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    stop();
    console.log(size, keep.length);
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("../..", import.meta.url).pathname, encoding: "utf8" });
  return Number(out.split(" ")[0]) / (1024 * 1024);
}

describe("capYoungGeneration", () => {
  it("keeps the new space within the cap through a long synchronous task; 0 leaves V8's growth alone", () => {
    const capped = newSpaceAfterBuild(4);
    const uncapped = newSpaceAfterBuild(0);
    // `space_size` counts both semi-spaces: at most 2 × 4 MiB.
    expect(capped).toBeLessThanOrEqual(8);
    expect(uncapped).toBeGreaterThan(capped);
  });
});
