import type { CompiledRoute } from "../compile/route.js";
import { removeDotSegments } from "../compile/router/path.js";

/**
 * The upstream path: `stripPrefix` removed (at a segment boundary), `prefix`
 * added, the target's base path in front. Never climbs above `/`.
 */
export function upstreamPath(path: string, rewrite: CompiledRoute["rewrite"], basePath: string): string {
  let out = path;
  if (rewrite !== null) {
    const strip = rewrite.stripPrefix;
    if (strip !== null && strip !== "/" && (out === strip || out.startsWith(strip + "/"))) {
      out = out.slice(strip.length);
      if (out === "") out = "/";
    }
    if (rewrite.prefix !== null && rewrite.prefix !== "/") out = rewrite.prefix + (out === "/" ? "" : out);
  }
  if (basePath !== "") out = basePath + out;
  return out.includes("/.") ? removeDotSegments(out) : out;
}
