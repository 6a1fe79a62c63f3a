import { PerformanceObserver, constants } from "node:perf_hooks";
import v8 from "node:v8";

/**
 * Keeps V8's young generation ("new space") at most about `maxMb` per
 * semi-space. Under load V8 doubles the semi-spaces up to 16 MiB each (64-bit
 * default), which shows as some 30 MB of resident memory that never goes
 * back: the process looks like it leaks. `--max-semi-space-size` caps that
 * but can only be set on node's command line; this does the same from
 * inside: after each minor GC it reads the new space's size, and once a
 * semi-space reaches the cap it sets V8's growth factor to 1 (no further
 * doubling), back to the default when V8 has shrunk it again. Measured in
 * bench/memory.mjs; `0` turns it off. Returns the function that stops it.
 */
export function capYoungGeneration(maxMb: number): () => void {
  if (!(maxMb > 0)) return () => undefined;
  const cap = maxMb * 1024 * 1024;
  let growing = true;
  const check = (): void => {
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    if (space === undefined) return;
    // `space_size` counts both semi-spaces.
    const semi = space.space_size / 2;
    const shouldGrow = semi < cap;
    if (shouldGrow === growing) return;
    growing = shouldGrow;
    v8.setFlagsFromString(`--semi-space-growth-factor=${shouldGrow ? 2 : 1}`);
  };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        check();
        return;
      }
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  check();
  return () => observer.disconnect();
}
