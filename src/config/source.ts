import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from "yaml";
import type { Diagnostic, Severity } from "./diagnostic.js";
import { toPointer, type Path } from "./pointer.js";

/** A parsed YAML file that still knows where every node came from. */
export interface SourceDocument {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

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

/** Builds diagnostics that point into one source file. */
export interface Reporter {
  readonly diagnostics: Diagnostic[];
  report(
    severity: Severity,
    rule: string,
    path: Path,
    message: string,
    options?: { hint?: string; key?: boolean },
  ): void;
}

export function createReporter(src: SourceDocument): Reporter {
  const diagnostics: Diagnostic[] = [];
  return {
    diagnostics,
    report(severity, rule, path, message, options = {}) {
      const { line, column } = locate(src, path, { key: options.key ?? false });
      const d: Diagnostic = { rule, severity, message, file: src.file, line, column, pointer: toPointer(path) };
      if (options.hint !== undefined) d.hint = options.hint;
      diagnostics.push(d);
    },
  };
}
