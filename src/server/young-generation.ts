import { PerformanceObserver, constants } from "node:perf_hooks";
import v8 from "node:v8";

/**
 * Keeps V8's young generation ("new space") at most about `maxMb` per
 * semi-space. Under load V8 doubles the semi-spaces up to 16 MiB each (64-bit
 * default), which shows as some 30 MB of resident memory that never goes
 * back: the process looks like it leaks. `--max-semi-space-size` caps that
 * but can only be set on node's command line; this does the same from
 * inside, with V8's growth factor (read at every GC): it starts at 1 (no
 * growth), and after each minor GC it is 2 only while one more doubling
 * stays within the cap. Starting without growth matters: GC observers run
 * after the task that triggered the GCs, so a long synchronous task (the
 * first compile of a 10,000-route config) would otherwise double the new
 * space to its maximum before the first check. Measured in
 * bench/memory.mjs; `0` turns it off. Returns the function that stops it
 * (and gives V8 its default growth back).
 */
export function capYoungGeneration(maxMb: number): () => void {
  if (!(maxMb > 0)) return () => undefined;
  const cap = maxMb * 1024 * 1024;
  let growing = true;
  const setGrowing = (value: boolean): void => {
    if (value === growing) return;
    growing = value;
    v8.setFlagsFromString(`--semi-space-growth-factor=${value ? DEFAULT_GROWTH_FACTOR : 1}`);
  };
  const check = (): void => {
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    if (space === undefined) return;
    // `space_size` counts both semi-spaces.
    const semi = space.space_size / 2;
    setGrowing(semi * DEFAULT_GROWTH_FACTOR <= cap);
  };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        check();
        return;
      }
    }
  });
  setGrowing(false);
  observer.observe({ entryTypes: ["gc"] });
  return () => {
    observer.disconnect();
    setGrowing(true);
  };
}

/** V8's `--semi-space-growth-factor` default. */
const DEFAULT_GROWTH_FACTOR = 2;
