import { LineCounter, parseDocument } from "yaml";
import type { Diagnostic, StageResult } from "./diagnostic.js";
import { MAX_CONFIG_BYTES } from "./limits.js";
import { Provenance } from "./provenance.js";
import { positionAt, type SourceDocument } from "./source.js";

/**
 * Stage 1: YAML text → document with positions. Duplicate keys and syntax
 * errors are findings; a document with errors yields no value.
 */
export function parseSource(text: string, file: string): StageResult<SourceDocument> {
  // Checked before parsing: a file past the limit is never parsed (its length in UTF-16 units bounds its bytes from below).
  if (text.length > MAX_CONFIG_BYTES || Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    return {
      value: undefined,
      diagnostics: [
        {
          rule: "config.too-large",
          severity: "error",
          message: `the file is larger than the limit of ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`,
          file,
          line: 1,
          column: 1,
          pointer: "",
          hint: "split it, or drop what it does not need: 10,000 routes take about 1.3 MB",
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    strict: true,
    version: "1.2",
    logLevel: "error",
  });
  const src: SourceDocument = { file, text, doc, lineCounter, provenance: new Provenance() };
  const diagnostics: Diagnostic[] = [];
  // Every duplicate key is its own mistake; after the first syntax error the
  // parser's further errors are mostly its consequences, so only that one counts.
  const firstSyntax = doc.errors.find((e) => e.code !== "DUPLICATE_KEY");
  const reported = doc.errors.filter((e) => e.code === "DUPLICATE_KEY" || e === firstSyntax);
  for (const error of reported) {
    const { line, column } = positionAt(src, error.pos[0]);
    const duplicate = error.code === "DUPLICATE_KEY";
    const at = error.code === "MISSING_CHAR" ? (openingQuote(text, error.message) ?? { line, column }) : clamp(text, { line, column });
    diagnostics.push({
      rule: duplicate ? "yaml.duplicate-key" : "yaml.syntax",
      severity: "error",
      message: duplicate ? "duplicate key: each key may appear once in a mapping" : syntaxMessage(error.code, error.message),
      file,
      line: at.line,
      column: at.column,
      pointer: "",
    });
  }
  for (const warning of doc.warnings) {
    const { line, column } = clamp(text, positionAt(src, warning.pos[0]));
    diagnostics.push({ rule: "yaml.warning", severity: "warning", message: firstLine(warning.message), file, line, column, pointer: "" });
  }
  return { value: doc.errors.length === 0 ? src : undefined, diagnostics };
}

function syntaxMessage(code: string, message: string): string {
  if (code === "MULTIPLE_DOCS") return "a config file holds one YAML document: remove the `---` separator and merge the documents";
  return firstLine(message);
}

/** A position past the end of the text (an unexpected end of input) points at the last line instead; one past the end of its line, at that line's end. */
function clamp(text: string, at: { line: number; column: number }): { line: number; column: number } {
  const lines = text.split("\n");
  if (at.line <= lines.length) return { line: at.line, column: Math.min(at.column, (lines[at.line - 1]?.length ?? 0) + 1) };
  const last = lines.length - (lines[lines.length - 1] === "" && lines.length > 1 ? 1 : 0);
  return { line: last, column: (lines[last - 1]?.length ?? 0) + 1 };
}

/**
 * For an unterminated quoted string the parser reports the end of the file;
 * the mistake is where the quote opened: the first line whose quotes of that
 * kind do not balance.
 */
function openingQuote(text: string, message: string): { line: number; column: number } | undefined {
  const quote = message.includes("'") && !message.includes('"') ? "'" : '"';
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const positions: number[] = [];
    for (let j = 0; j < line.length; j++) {
      const ch = line[j];
      if (ch === "#" && positions.length % 2 === 0 && (j === 0 || line[j - 1] === " ")) break;
      if (ch === "\\" && quote === '"') {
        j++;
        continue;
      }
      if (ch === quote) positions.push(j);
    }
    if (positions.length % 2 === 1) return { line: i + 1, column: positions[positions.length - 1]! + 1 };
  }
  return undefined;
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}
