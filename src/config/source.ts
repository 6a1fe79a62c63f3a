import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from "yaml";
import { clip } from "../errors/clip.js";
import type { Diagnostic, Severity } from "./diagnostic.js";
import { toPointer, type Path } from "./pointer.js";
import type { Provenance } from "./provenance.js";

/** A parsed YAML file that still knows where every node came from. */
export interface SourceDocument {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /**
   * What interpolation took from the environment (filled by `interpolate`):
   * no finding reported against this source carries one of those values.
   */
  readonly provenance?: Provenance;
}

/** The longest message or hint a finding carries: a value quoted in it is cut, not printed whole. */
export const MAX_FINDING_TEXT = 1024;

export interface Position {
  line: number;
  column: number;
}

export function positionAt(src: Pick<SourceDocument, "lineCounter">, offset: number): Position {
  const { line, col } = src.lineCounter.linePos(offset);
  return { line, column: col };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * Where the value at `path` starts (or its key, with `key: true`). A path that
 * leads nowhere (a missing key, a merged `<<` value) resolves to the nearest
 * ancestor that exists.
 */
export function locate(src: SourceDocument, path: Path, options: { key?: boolean } = {}): Position {
  let node: unknown = src.doc.contents;
  let offset = (node as YamlNode | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(src.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair === undefined) break;
      const keyOffset = (pair.key as YamlNode | null)?.range?.[0];
      if (options.key === true && i === path.length - 1 && keyOffset !== undefined) {
        offset = keyOffset;
        break;
      }
      node = pair.value;
      offset = (pair.value as YamlNode | null)?.range?.[0] ?? keyOffset ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as YamlNode | undefined;
      if (item?.range == null) break;
      node = item;
      offset = item.range[0];
    } else {
      break;
    }
  }
  return positionAt(src, offset);
}

/**
 * Builds diagnostics that point into one source file. Every message and
 * hint leaves out the values the source took from the environment and is
 * at most MAX_FINDING_TEXT long, whichever check wrote it.
 */
export interface Reporter {
  readonly diagnostics: Diagnostic[];
  report(
    severity: Severity,
    rule: string,
    path: Path,
    message: string,
    options?: { hint?: string; key?: boolean },
  ): void;
  /** A finding at a text offset (a YAML node's start) rather than at a config path. */
  reportAt(severity: Severity, rule: string, offset: number, message: string, options?: { hint?: string }): void;
}

export function createReporter(src: SourceDocument): Reporter {
  const diagnostics: Diagnostic[] = [];
  const clean = (text: string): string => clip(src.provenance === undefined ? text : src.provenance.scrub(text), MAX_FINDING_TEXT);
  const push = (severity: Severity, rule: string, at: Position, pointer: string, message: string, hint: string | undefined): void => {
    const d: Diagnostic = { rule, severity, message: clean(message), file: src.file, line: at.line, column: at.column, pointer };
    if (hint !== undefined) d.hint = clean(hint);
    diagnostics.push(d);
  };
  return {
    diagnostics,
    report(severity, rule, path, message, options = {}) {
      push(severity, rule, locate(src, path, { key: options.key ?? false }), toPointer(path), message, options.hint);
    },
    reportAt(severity, rule, offset, message, options = {}) {
      push(severity, rule, positionAt(src, offset), "", message, options.hint);
    },
  };
}
