import { realpathSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { watch, type FSWatcher } from "chokidar";

export interface ConfigWatcher {
  close(): Promise<void>;
}

/**
 * Watches a config file for the three ways files change in practice: an
 * in-place write, a write-to-temp-then-rename (editors, `kubectl cp`), and
 * the Kubernetes ConfigMap layout, where the file is a symlink through
 * `..data` and kubelet swaps `..data` to a new timestamped folder. It watches
 * the folder (and the folder of the file's real path), reacts to the file's
 * name and to `..`-prefixed entries, and debounces bursts. The reloader
 * compares content hashes, so a spurious event costs a read. Resolves once
 * the watch is in place.
 */
export async function watchConfig(file: string, onChange: () => void, options: { debounceMs?: number } = {}): Promise<ConfigWatcher> {
  const debounceMs = options.debounceMs ?? 100;
  const path = resolve(file);
  const name = basename(path);
  const dirs = new Set([dirname(path)]);
  try {
    dirs.add(dirname(realpathSync(path)));
  } catch {
    // A file that does not exist yet is picked up when it appears.
  }
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
  };
  // Only the config's own name and kubelet's `..` entries matter; anything else
  // in the folder (a busy log file, say) is not even looked at.
  const relevant = (p: string): boolean => dirs.has(p) || basename(p) === name || basename(p).startsWith("..");
  const watcher: FSWatcher = watch([...dirs], { ignoreInitial: true, depth: 0, followSymlinks: false, ignored: (p: string) => !relevant(p) });
  watcher.on("all", (_event, changed) => {
    const b = basename(changed);
    if (b === name || b.startsWith("..") || changed === path) fire();
  });
  watcher.on("error", () => {
    // Keep watching; a failed reload is logged by the reloader.
  });
  // Changes made before the initial scan ends would be missed.
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    async close() {
      if (timer !== null) clearTimeout(timer);
      await watcher.close();
    },
  };
}
