import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/**
 * Renders charts/aigw with a small subset of Go's text/template and the
 * Sprig/Helm functions the chart uses, so that tests can check the rendered
 * manifests on machines without helm. NOT Helm: it follows Helm where the
 * chart depends on it (whitespace trimming, `<no value>` dropped, nil field
 * access failing, `include`/`required`/`fail`/`fromYaml`/`toYaml` with sorted
 * keys, maps ranged in key order), and rejects any function it does not
 * know, so a template using more of Helm fails loudly here rather than
 * rendering wrongly. `helm template` remains the reference.
 */

type Value = unknown;
type Dict = Record<string, Value>;

export class TemplateError extends Error {}

const isDict = (v: Value): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

// --- text and actions -------------------------------------------------------

interface Part {
  kind: "text" | "action";
  text: string;
  trimLeft?: boolean;
  trimRight?: boolean;
}

function splitTemplate(src: string, file: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open === -1) {
      parts.push({ kind: "text", text: src.slice(i) });
      break;
    }
    parts.push({ kind: "text", text: src.slice(i, open) });
    let j = open + 2;
    const trimLeft = /^-\s/.test(src.slice(j, j + 2));
    if (trimLeft) j += 1;
    if (src.slice(j).trimStart().startsWith("/*")) {
      const end = src.indexOf("*/", j);
      if (end === -1) throw new TemplateError(`${file}: unclosed comment`);
      let k = end + 2;
      let trimRight = false;
      if (src.startsWith(" -}}", k)) (trimRight = true), (k += 4);
      else if (src.startsWith("}}", k)) k += 2;
      else throw new TemplateError(`${file}: comment ends before the closing delimiter`);
      parts.push({ kind: "action", text: "", trimLeft, trimRight });
      i = k;
      continue;
    }
    let k = j;
    let quote: string | null = null;
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (quote !== null) {
        if (c === "\\" && quote === '"') k++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "`") quote = c;
      else if (src.startsWith("}}", k)) break;
    }
    if (k >= src.length) throw new TemplateError(`${file}: unclosed action at ${open}`);
    let body = src.slice(j, k);
    const trimRight = /\s-$/.test(body);
    if (trimRight) body = body.slice(0, -1);
    parts.push({ kind: "action", text: body.trim(), trimLeft, trimRight });
    i = k + 2;
  }
  parts.forEach((p, n) => {
    if (p.kind !== "action") return;
    const before = parts[n - 1];
    const after = parts[n + 1];
    if (p.trimLeft && before?.kind === "text") before.text = before.text.replace(/\s+$/, "");
    if (p.trimRight && after?.kind === "text") after.text = after.text.replace(/^\s+/, "");
  });
  return parts.filter((p) => p.kind === "text" || p.text !== "");
}

// --- pipelines ----------------------------------------------------------------

type Token =
  | { k: "str" | "num" | "bool"; v: string | number | boolean }
  | { k: "nil" | "dot" | "(" | ")" | "|" | "," | ":=" | "=" }
  | { k: "field"; fields: string[] }
  | { k: "var"; name: string; fields: string[] }
  | { k: "ident"; name: string }
  | { k: "sub"; pipe: Pipeline };

interface Pipeline {
  decl: { vars: string[]; op: ":=" | "=" } | null;
  cmds: Token[][];
}

function lex(s: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const rest = s.slice(i);
    let m: RegExpExecArray | null;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      let out = "";
      while (s[j] !== '"') {
        if (j >= s.length) throw new TemplateError(`unterminated string in ${s}`);
        if (s[j] === "\\") {
          const n = s[j + 1]!;
          out += n === "n" ? "\n" : n === "t" ? "\t" : n;
          j += 2;
        } else out += s[j++];
      }
      toks.push({ k: "str", v: out });
      i = j + 1;
    } else if (c === "`") {
      const j = s.indexOf("`", i + 1);
      toks.push({ k: "str", v: s.slice(i + 1, j) });
      i = j + 1;
    } else if (rest.startsWith(":=")) toks.push({ k: ":=" }), (i += 2);
    else if (c === "(" || c === ")" || c === "|" || c === "," || c === "=") toks.push({ k: c }), i++;
    else if ((m = /^-?\d+(\.\d+)?/.exec(rest)) !== null) toks.push({ k: "num", v: Number(m[0]) }), (i += m[0].length);
    else if ((m = /^(\$[A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)/.exec(rest)) !== null) {
      toks.push({ k: "var", name: m[1]!, fields: m[2] ? m[2].slice(1).split(".") : [] });
      i += m[0].length;
    } else if ((m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest)) !== null) toks.push({ k: "field", fields: m[0].slice(1).split(".") }), (i += m[0].length);
    else if (c === ".") toks.push({ k: "dot" }), i++;
    else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)) !== null) {
      const w = m[0];
      toks.push(w === "true" || w === "false" ? { k: "bool", v: w === "true" } : w === "nil" ? { k: "nil" } : { k: "ident", name: w });
      i += w.length;
    } else throw new TemplateError(`cannot read ${JSON.stringify(rest.slice(0, 20))}`);
  }
  return toks;
}

function parsePipeline(toks: Token[], pos = { i: 0 }, inParens = false): Pipeline {
  const pipe: Pipeline = { decl: null, cmds: [] };
  const first = toks[pos.i];
  const second = toks[pos.i + 1];
  if (first?.k === "var" && (second?.k === ":=" || second?.k === "=" || second?.k === ",")) {
    const vars = [first.name];
    pos.i++;
    if (toks[pos.i]?.k === ",") {
      const v = toks[pos.i + 1];
      if (v?.k !== "var") throw new TemplateError("expected a variable after ,");
      vars.push(v.name);
      pos.i += 2;
    }
    const op = toks[pos.i]?.k;
    if (op !== ":=" && op !== "=") throw new TemplateError("expected := or =");
    pipe.decl = { vars, op };
    pos.i++;
  }
  let cmd: Token[] = [];
  while (pos.i < toks.length) {
    const t = toks[pos.i]!;
    if (t.k === ")") {
      if (inParens) break;
      throw new TemplateError("unexpected )");
    }
    pos.i++;
    if (t.k === "|") {
      pipe.cmds.push(cmd);
      cmd = [];
    } else if (t.k === "(") {
      const sub = parsePipeline(toks, pos, true);
      if (toks[pos.i]?.k !== ")") throw new TemplateError("missing )");
      pos.i++;
      cmd.push({ k: "sub", pipe: sub });
    } else cmd.push(t);
  }
  pipe.cmds.push(cmd);
  if (pipe.cmds.some((c) => c.length === 0)) throw new TemplateError("empty command in pipeline");
  return pipe;
}

// --- tree -------------------------------------------------------------------

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if" | "with" | "range"; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] | null };

function buildTree(parts: Part[], file: string, defines: Map<string, Node[]>): Node[] {
  const root: Node[] = [];
  const stack: { block: Extract<Node, { kind: "if" | "with" | "range" }> | { kind: "define"; name: string } | null; body: Node[] }[] = [{ block: null, body: root }];
  for (const part of parts) {
    const top = stack.at(-1)!;
    if (part.kind === "text") {
      if (part.text !== "") top.body.push({ kind: "text", text: part.text });
      continue;
    }
    const keyword = /^([a-z]+)\b/.exec(part.text)?.[1];
    const rest = part.text.slice(keyword?.length ?? 0).trim();
    if (keyword === "if" || keyword === "with" || keyword === "range") {
      const node: Extract<Node, { kind: "if" | "with" | "range" }> = { kind: keyword, branches: [{ cond: parsePipeline(lex(rest)), body: [] }], otherwise: null };
      top.body.push(node);
      stack.push({ block: node, body: node.branches[0]!.body });
    } else if (keyword === "else") {
      const block = top.block;
      if (block === null || block.kind === "define") throw new TemplateError(`${file}: else outside if/with/range`);
      const chained = /^(if|with)\b(.*)$/s.exec(rest);
      if (chained !== null) {
        const branch = { cond: parsePipeline(lex(chained[2]!.trim())), body: [] as Node[] };
        block.branches.push(branch);
        top.body = branch.body;
      } else {
        block.otherwise = [];
        top.body = block.otherwise;
      }
    } else if (keyword === "end") {
      const done = stack.pop()!;
      if (done.block === null) throw new TemplateError(`${file}: end without a block`);
      if (done.block.kind === "define") defines.set(done.block.name, done.body);
    } else if (keyword === "define") {
      const name = lex(rest)[0];
      if (name?.k !== "str") throw new TemplateError(`${file}: define needs a name`);
      stack.push({ block: { kind: "define", name: String(name.v) }, body: [] });
    } else if (keyword === "template" || keyword === "block") {
      throw new TemplateError(`${file}: ${keyword} is not supported here; use include`);
    } else top.body.push({ kind: "action", pipe: parsePipeline(lex(part.text)) });
  }
  if (stack.length !== 1) throw new TemplateError(`${file}: a block is never closed`);
  return root;
}

// --- evaluation -----------------------------------------------------------------

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v, as text/template prints values. */
function show(v: Value): string {
  if (v === undefined || v === null) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (isDict(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${show(v[k])}`).join(" ")}]`;
  return String(v);
}

function fieldOf(v: Value, fields: string[], what: string): Value {
  for (const f of fields) {
    if (v === undefined || v === null) throw new TemplateError(`nil pointer evaluating interface {}.${f} (${what})`);
    if (!isDict(v)) throw new TemplateError(`can't evaluate field ${f} in ${show(v)} (${what})`);
    v = v[f];
  }
  return v;
}

const toInt = (v: Value): number => (typeof v === "number" ? Math.trunc(v) : typeof v === "string" ? Number.parseInt(v, 10) || 0 : v === true ? 1 : 0);
const indent = (n: number, s: Value): string => " ".repeat(n) + String(s).replaceAll("\n", "\n" + " ".repeat(n));
const kindOf = (v: Value): string => (v === undefined || v === null ? "invalid" : typeof v === "string" ? "string" : typeof v === "boolean" ? "bool" : typeof v === "number" ? "float64" : Array.isArray(v) ? "slice" : "map");
/** sigs.k8s.io/yaml's output: keys sorted, sequences not indented under their key. */
const toYaml = (v: Value): string => (v === undefined || v === null ? "null" : stringifyYaml(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, ""));

export interface Release {
  Name: string;
  Namespace: string;
  Service: string;
}

export interface Chart {
  /** Renders every template but `_*.tpl`, by path under the chart (`templates/x.yaml`). */
  render(values: Dict, options?: { release?: Partial<Release>; lookup?: (apiVersion: string, kind: string, namespace: string, name: string) => Dict }): Record<string, string>;
}

export function loadChart(dir: string): Chart {
  const meta = parseYaml(readFileSync(join(dir, "Chart.yaml"), "utf8")) as { name: string; version: string; appVersion: string };
  const defines = new Map<string, Node[]>();
  const trees = new Map<string, Node[]>();
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const file of walk(join(dir, "templates"))) {
    const rel = relative(dir, file);
    trees.set(rel, buildTree(splitTemplate(readFileSync(file, "utf8"), rel), rel, defines));
  }

  return {
    render(values, options = {}) {
      const release: Release = { Name: "aigw", Namespace: "default", Service: "Helm", ...options.release };
      const top: Dict = { Values: values, Chart: { Name: meta.name, Version: meta.version, AppVersion: meta.appVersion }, Release: release };
      type Scope = Map<string, Value>;
      const funcs: Record<string, (...a: Value[]) => Value> = {
        default: (d, v) => (truthy(v) ? v : d),
        empty: (v) => !truthy(v),
        required: (msg, v) => {
          if (v === undefined || v === null || v === "") throw new TemplateError(`required: ${String(msg)}`);
          return v;
        },
        fail: (msg) => {
          throw new TemplateError(`fail: ${String(msg)}`);
        },
        include: (name, data) => {
          const body = defines.get(String(name));
          if (body === undefined) throw new TemplateError(`include: no template "${String(name)}"`);
          return exec(body, data, [new Map([["$", data]])]);
        },
        toYaml,
        fromYaml: (s) => {
          try {
            const v = parseYaml(String(s)) as Value;
            return isDict(v) ? (JSON.parse(JSON.stringify(v)) as Dict) : { Error: "not a map" };
          } catch (err) {
            return { Error: (err as Error).message };
          }
        },
        toString: (v: Value) => (typeof v === "string" ? v : show(v)),
        int: toInt,
        trunc: (n, s) => String(s).slice(0, toInt(n)),
        trimSuffix: (x, s) => (String(s).endsWith(String(x)) ? String(s).slice(0, -String(x).length || undefined) : String(s)),
        trim: (s) => String(s).trim(),
        contains: (x, s) => String(s).includes(String(x)),
        hasPrefix: (x, s) => String(s).startsWith(String(x)),
        hasSuffix: (x, s) => String(s).endsWith(String(x)),
        replace: (a, b, s) => String(s).replaceAll(String(a), String(b)),
        quote: (...a) => a.map((v) => JSON.stringify(v === undefined || v === null ? "" : typeof v === "string" ? v : show(v))).join(" "),
        nindent: (n, s) => "\n" + indent(toInt(n), s),
        indent: (n, s) => indent(toInt(n), s),
        dict: (...a) => Object.fromEntries(Array.from({ length: Math.ceil(a.length / 2) }, (_, i) => [String(a[2 * i]), a[2 * i + 1]])),
        get: (m, k) => (isDict(m) && String(k) in m ? m[String(k)] : ""),
        hasKey: (m, k) => isDict(m) && String(k) in m,
        index: (m, ...ks) => ks.reduce<Value>((v, k) => (isDict(v) ? v[String(k)] : Array.isArray(v) ? v[toInt(k)] : undefined), m),
        kindIs: (k, v) => kindOf(v) === k,
        sha256sum: (s) => createHash("sha256").update(String(s)).digest("hex"),
        b64enc: (s) => Buffer.from(String(s)).toString("base64"),
        b64dec: (s) => Buffer.from(String(s), "base64").toString(),
        randAlphaNum: (n) => "r".repeat(toInt(n)),
        lookup: (a, k, ns, n) => options.lookup?.(String(a), String(k), String(ns), String(n)) ?? {},
        add: (...a) => a.reduce<number>((x, y) => x + toInt(y), 0),
        div: (a, b) => Math.trunc(toInt(a) / toInt(b)),
        printf: (f, ...a) => {
          let i = 0;
          return String(f).replace(/%[-+ 0#]*\d*(?:\.\d+)?[vdsq%]/g, (m) => {
            if (m === "%%") return "%";
            const v = a[i++];
            return m.endsWith("d") ? String(toInt(v)) : m.endsWith("q") ? JSON.stringify(String(v)) : typeof v === "string" ? v : show(v);
          });
        },
        not: (v) => !truthy(v),
        and: (...a) => a.find((v: Value) => !truthy(v)) ?? a.at(-1),
        or: (...a) => a.find((v: Value) => truthy(v)) ?? a.at(-1),
        eq: (a, ...b) => b.some((x) => x === a),
        ne: (a, b) => a !== b,
        gt: (a, b) => (a as number) > (b as number),
        lt: (a, b) => (a as number) < (b as number),
      };

      const variable = (scopes: Scope[], name: string): Value => {
        for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return scopes[i]!.get(name);
        throw new TemplateError(`undefined variable: ${name}`);
      };
      const arg = (t: Token, dot: Value, scopes: Scope[]): Value => {
        switch (t.k) {
          case "str":
          case "num":
          case "bool":
            return t.v;
          case "nil":
            return null;
          case "dot":
            return dot;
          case "field":
            return fieldOf(dot, t.fields, `.${t.fields.join(".")}`);
          case "var":
            return fieldOf(variable(scopes, t.name), t.fields, `${t.name}.${t.fields.join(".")}`);
          case "sub":
            return pipeline(t.pipe, dot, scopes);
          case "ident": {
            const f = funcs[t.name];
            if (f === undefined) throw new TemplateError(`function "${t.name}" not defined`);
            return f();
          }
          default:
            throw new TemplateError(`unexpected ${t.k}`);
        }
      };
      const pipeline = (pipe: Pipeline, dot: Value, scopes: Scope[]): Value => {
        let value: Value;
        pipe.cmds.forEach(([head, ...args], n) => {
          if (head!.k === "ident") {
            const f = funcs[head!.name];
            if (f === undefined) throw new TemplateError(`function "${head!.name}" not defined`);
            const argv = args.map((a) => arg(a, dot, scopes));
            if (n > 0) argv.push(value);
            value = f(...argv);
          } else {
            if (args.length > 0 || n > 0) throw new TemplateError("arguments given to a value that is no function");
            value = arg(head!, dot, scopes);
          }
        });
        return value;
      };
      const declare = (pipe: Pipeline, value: Value, scopes: Scope[]): void => {
        const name = pipe.decl!.vars[0]!;
        if (pipe.decl!.op === ":=") scopes.at(-1)!.set(name, value);
        else {
          const scope = [...scopes].reverse().find((s) => s.has(name));
          if (scope === undefined) throw new TemplateError(`undefined variable: ${name}`);
          scope.set(name, value);
        }
      };
      const exec = (body: Node[], dot: Value, scopes: Scope[]): string => {
        let out = "";
        for (const node of body) {
          if (node.kind === "text") out += node.text;
          else if (node.kind === "action") {
            const value = pipeline(node.pipe, dot, scopes);
            if (node.pipe.decl !== null) declare(node.pipe, value, scopes);
            else out += show(value);
          } else if (node.kind === "range") {
            const { cond, body: each } = node.branches[0]!;
            const v = pipeline(cond, dot, scopes);
            const entries: [Value, Value][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : isDict(v) ? Object.keys(v).sort().map((k) => [k, v[k]]) : [];
            if (entries.length === 0 && node.otherwise !== null) out += exec(node.otherwise, dot, [...scopes, new Map()]);
            for (const [k, x] of entries) {
              const scope: Scope = new Map();
              const vars = cond.decl?.vars ?? [];
              if (vars.length === 2) scope.set(vars[0]!, k).set(vars[1]!, x);
              else if (vars.length === 1) scope.set(vars[0]!, x);
              out += exec(each, x, [...scopes, scope]);
            }
          } else {
            let taken = false;
            for (const branch of node.branches) {
              const v = pipeline(branch.cond, dot, scopes);
              if (!truthy(v)) continue;
              out += exec(branch.body, node.kind === "with" ? v : dot, [...scopes, new Map()]);
              taken = true;
              break;
            }
            if (!taken && node.otherwise !== null) out += exec(node.otherwise, dot, [...scopes, new Map()]);
          }
        }
        return out;
      };

      const rendered: Record<string, string> = {};
      for (const [file, tree] of trees) {
        if (basename(file).startsWith("_")) continue;
        rendered[file] = exec(tree, top, [new Map([["$", top]])]).replaceAll("<no value>", "");
      }
      return rendered;
    },
  };
}

/** Helm's merge of user values over the chart's: maps merge, a null deletes. */
export function mergeValues(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = isDict(v) && isDict(base[k]) ? mergeValues(base[k], v) : v;
  }
  return out;
}
