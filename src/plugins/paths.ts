import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { clip } from "../errors/clip.js";

/**
 * Where custom plugin modules may live: the config file's directory, and
 * the directories the operator named with `--allow-plugin-path`. A config
 * is code in review: a path that leaves these would run (in serve) or read
 * (in review) whatever the file names.
 */
export interface PluginPaths {
  /** The config file's directory, absolute, as written (module paths resolve against it). */
  readonly root: string;
  /** `root` with every symlink resolved. */
  readonly realRoot: string;
  /** The allowed directories, absolute and with every symlink resolved. */
  readonly allowed: readonly string[];
}

export type PluginPathVerdict =
  | { ok: true; /** The module's real path: what is read and imported. */ file: string }
  | { ok: false; /** Why it is refused, for a finding or an error message. */ reason: string };

/**
 * The real path of `path`: symlinks resolved. A path that does not exist
 * (yet) keeps its missing tail under its nearest existing ancestor's real
 * path, so a missing file is judged by where it would be.
 */
export function realPath(path: string): string {
  const tail: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(current), ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      tail.push(basename(current));
      current = parent;
    }
  }
}

/** Whether `file` is `dir` itself or below it (both absolute and normalised). */
export function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The policy for a config in `configDir`; `allow` entries are resolved against `cwd`. */
export function pluginPaths(configDir: string, allow: readonly string[] = [], cwd: string = process.cwd()): PluginPaths {
  const root = resolve(cwd, configDir);
  return { root, realRoot: realPath(root), allowed: allow.map((dir) => realPath(resolve(cwd, dir))) };
}

/**
 * Judges a `module:` path. Accepted: a real location inside an allowed
 * directory; or a relative path that stays inside the config's directory,
 * both as written (`..` segments) and once symlinks are resolved. An
 * absolute path is accepted only inside an allowed directory, so a config
 * never depends on the layout of the machine that reviews it.
 */
export function checkPluginPath(module: string, paths: PluginPaths): PluginPathVerdict {
  const shown = JSON.stringify(clip(module));
  const written = isAbsolute(module) ? resolve(module) : resolve(paths.root, module);
  const file = realPath(written);
  if (paths.allowed.some((dir) => isInside(dir, file))) return { ok: true, file };
  if (isAbsolute(module)) return { ok: false, reason: `module ${shown} is an absolute path outside every --allow-plugin-path directory` };
  if (!isInside(paths.root, written)) return { ok: false, reason: `module ${shown} climbs out of the config file's directory` };
  if (!isInside(paths.realRoot, file)) return { ok: false, reason: `module ${shown} resolves through a symlink to ${JSON.stringify(clip(file))}, outside the config file's directory` };
  return { ok: true, file };
}

/** The fix a refused path's finding suggests. */
export const OUTSIDE_HINT =
  "keep plugin modules next to the config (a relative path such as ./plugins/x.mjs), or name their directory with --allow-plugin-path <dir>";

/** The info finding a review command gives for each custom module it did not import. */
export const NOT_LOADED_RULE = "plugin.module.not-loaded";
