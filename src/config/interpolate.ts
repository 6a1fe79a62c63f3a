import { isAlias, isMap, isPair, isScalar, isSeq, Scalar, type Node as YamlNode } from "yaml";
import type { StageResult } from "./diagnostic.js";
import { isMergeKey, MAX_EXPANDED_CHARS, MAX_EXPANDED_NODES, walkExpanded, type ExpansionProblem } from "./expand.js";
import { RUNTIME_PLACEHOLDERS } from "./kinds.js";
import { toPointer, type Path } from "./pointer.js";
import { Provenance } from "./provenance.js";
import { createReporter, type Reporter, type SourceDocument } from "./source.js";

export type Mode = "validate" | "serve";
export type Env = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  /** The config as plain data, `${VAR}` replaced. */
  value: unknown;
  /**
   * Pointers of values that still hold an unset `${VAR}` (validate mode only),
   * mapped to whether the whole value was that one expression.
   */
  unset: ReadonlyMap<string, { whole: boolean }>;
  /**
   * Every value a `${VAR}` or `${VAR:-default}` produced, and the pointers of
   * the config values holding them: secrets by provenance, redacted wherever
   * they would be shown, whatever their names.
   */
  secretValues: Provenance;
}

/**
 * `${VAR}`, `${VAR:-default}`; `$${...}` is a literal `${...}`. The runtime
 * placeholders `${consumer}`, `${route}` and `${requestId}` are left as they are.
 */
const expression = /\$(\$)?\{([^}]*)\}/g;
const inner = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
/** yaml's guard against alias expansion bombs (it counts expanded nodes); generous for real configs. */
const MAX_ALIAS_COUNT = 10_000;

/**
 * Stage 2: replace `${VAR}` and `${VAR:-default}` in scalar values (never in
 * keys). An unset variable without default is a warning in validate mode (CI
 * has no secrets) and an error in serve mode. A plain (unquoted) scalar that
 * is exactly one expression is re-typed, so `limit: ${LIMIT:-100}` is a number.
 */
export function interpolate(src: SourceDocument, env: Env, mode: Mode): StageResult<Interpolated> {
  return new Interpolation(src, env, mode).run();
}

/** One scalar's text with its expressions replaced, and what the replacing found. */
interface Substitution {
  text: string;
  /** The text was exactly one expression. */
  whole: boolean;
  anyUnset: boolean;
  malformed: boolean;
  /** The values taken from the environment or from defaults. */
  produced: string[];
}

/**
 * One pass over a parsed document. Replaced scalars are written into the
 * document only for the duration of toJS() and restored after (cloning a
 * large document costs more than parsing it); anchors, aliases and merge
 * keys then resolve to the replaced values by themselves.
 */
class Interpolation {
  private readonly reporter: Reporter;
  private readonly edits: { node: Scalar; original: unknown }[] = [];
  private readonly unset = new Map<string, { whole: boolean }>();
  /** The source's own provenance, so every finding reported against it leaves these values out. */
  private readonly secretValues: Provenance;
  /** Scalars that now hold a string from the environment. */
  private readonly fromEnv = new Set<Scalar>();
  /** Aliases and merge keys copy nodes: only then can the data be larger than the file, or a value sit at more than one path. */
  private copies = false;

  constructor(
    private readonly src: SourceDocument,
    private readonly env: Env,
    private readonly mode: Mode,
  ) {
    this.reporter = createReporter(src);
    this.secretValues = src.provenance ?? new Provenance();
    this.secretValues.clear();
  }

  run(): StageResult<Interpolated> {
    this.walk(this.src.doc.contents as YamlNode | null, []);
    const converted = this.toData();
    const diagnostics = this.reporter.diagnostics;
    if (converted === null) return { value: undefined, diagnostics };
    return { value: { value: converted.data, unset: this.unset, secretValues: this.secretValues }, diagnostics };
  }

  private walk(node: unknown, path: Path): void {
    if (isScalar(node)) this.visitScalar(node, path);
    else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isMergeKey(pair.key)) this.copies = true;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        this.walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.walk(item, [...path, i]));
    } else if (isAlias(node)) {
      // The anchored node is interpolated where it is defined; its copies are found in toData.
      this.copies = true;
    }
  }

  private visitScalar(node: Scalar, path: Path): void {
    const text = node.value;
    if (typeof text !== "string" || !text.includes("${")) return;
    const { text: replaced, whole, anyUnset, malformed, produced } = this.substitute(text, path);
    if (malformed) return;
    if (anyUnset) {
      this.unset.set(toPointer(path), { whole });
      return;
    }
    this.edits.push({ node, original: node.value });
    node.value = whole && node.type === Scalar.PLAIN ? retype(replaced) : replaced;
    // A number or boolean is a limit or a switch, shown as it is; any string from `${}` is a secret.
    if (produced.length > 0 && typeof node.value === "string") {
      this.fromEnv.add(node);
      this.secretValues.pointers.add(toPointer(path));
      for (const v of produced) if (v !== "") this.secretValues.add(v);
      this.secretValues.add(replaced);
    }
  }

  private substitute(text: string, path: Path): Substitution {
    const out: Substitution = { text, whole: false, anyUnset: false, malformed: false, produced: [] };
    out.text = text.replace(expression, (match: string, escaped: string | undefined, body: string) => {
      if (escaped !== undefined) return match.slice(1);
      out.whole = match.length === text.length;
      const m = inner.exec(body);
      if (m === null) {
        out.malformed = true;
        this.reporter.report("error", "config.env.malformed", path, `malformed variable reference ${JSON.stringify(match)}`, {
          hint: "write ${NAME} or ${NAME:-default}; names are letters, digits and _",
        });
        return match;
      }
      const name = m[1]!;
      const fallback = m[2];
      if (fallback === undefined && RUNTIME_PLACEHOLDERS.has(name)) return match;
      const value = this.valueOf(name, fallback);
      if (value !== undefined) {
        out.produced.push(value);
        return value;
      }
      out.anyUnset = true;
      this.reportUnset(name, path);
      return match;
    });
    return out;
  }

  /** The variable's value; an empty one counts as unset when there is a default (as in the shell's `:-`). */
  private valueOf(name: string, fallback: string | undefined): string | undefined {
    const current = this.env[name];
    if (current !== undefined && (current !== "" || fallback === undefined)) return current;
    return fallback;
  }

  private reportUnset(name: string, path: Path): void {
    const serve = this.mode === "serve";
    this.reporter.report(serve ? "error" : "warning", "config.env.unset", path, `environment variable ${name} is not set`, {
      hint: serve ? `set ${name}, or give a default: \${${name}:-value}` : "it must be set where the gateway runs",
    });
  }

  /** The document as plain data, or null (reported) when it cannot be converted within bounds. Restores the edited scalars. */
  private toData(): { data: unknown } | null {
    const doc = this.src.doc;
    try {
      // Before converting: where each replaced value lands once aliases are
      // followed, and whether the converted document stays within bounds.
      const problem = this.copies
        ? walkExpanded(doc, (node, path) => {
            if (this.fromEnv.has(node)) this.secretValues.pointers.add(toPointer(path()));
          })
        : null;
      if (problem !== null) {
        reportExpansion(this.reporter, problem);
        return null;
      }
      return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
    } catch (err) {
      const message = (err as Error).message;
      if (/alias/i.test(message)) this.reporter.report("error", "yaml.alias-limit", [], `the document expands too many aliases: ${message}`);
      else this.reporter.report("error", "yaml.syntax", [], `the document cannot be read as data: ${message}`);
      return null;
    } finally {
      for (const { node, original } of this.edits) node.value = original;
    }
  }
}

function reportExpansion(reporter: Reporter, problem: ExpansionProblem): void {
  const offset = problem.at.range?.[0] ?? 0;
  if (problem.kind === "unresolved") {
    reporter.reportAt("error", "yaml.syntax", offset, `the alias *${problem.at.source} names no anchor before it`, { hint: `mark a node before it with &${problem.at.source}` });
    return;
  }
  if (problem.kind === "cycle") {
    reporter.reportAt("error", "yaml.alias-cycle", offset, "this alias names a node that contains it: the data would be circular", {
      hint: "use an anchor only outside the node it marks",
    });
    return;
  }
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const limit = `${MAX_EXPANDED_NODES.toLocaleString("en-US")} nodes or ${mib(MAX_EXPANDED_CHARS)} of text`;
  reporter.reportAt("error", "config.too-large", offset, `aliases expand the document past the limit of ${limit} added (${problem.nodes.toLocaleString("en-US")} nodes, ${mib(problem.chars)} when this alias crossed it)`, {
    hint: "each use of an anchor copies all it holds: write the values out, or reuse smaller anchors",
  });
}

function retype(text: string): unknown {
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (text === "true") return true;
  if (text === "false") return false;
  return text;
}
