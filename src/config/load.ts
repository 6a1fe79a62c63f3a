import { LineCounter, parseDocument } from "yaml";
import type { Diagnostic, StageResult } from "./diagnostic.js";
import { positionAt, type SourceDocument } from "./source.js";

/**
 * Stage 1: YAML text → document with positions. Duplicate keys and syntax
 * errors are findings; a document with errors yields no value.
 */
export function parseSource(text: string, file: string): StageResult<SourceDocument> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    strict: true,
    version: "1.2",
  });
  const src: SourceDocument = { file, text, doc, lineCounter };
  const diagnostics: Diagnostic[] = [];
  for (const error of doc.errors) {
    const { line, column } = positionAt(src, error.pos[0]);
    const duplicate = error.code === "DUPLICATE_KEY";
    diagnostics.push({
      rule: duplicate ? "yaml.duplicate-key" : "yaml.syntax",
      severity: "error",
      message: duplicate ? "duplicate key: each key may appear once in a mapping" : firstLine(error.message),
      file,
      line,
      column,
      pointer: "",
    });
  }
  for (const warning of doc.warnings) {
    const { line, column } = positionAt(src, warning.pos[0]);
    diagnostics.push({ rule: "yaml.warning", severity: "warning", message: firstLine(warning.message), file, line, column, pointer: "" });
  }
  return { value: doc.errors.length === 0 ? src : undefined, diagnostics };
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}
