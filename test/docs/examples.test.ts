import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { build } from "../helpers/build.js";

const root = resolve(import.meta.dirname, "../..");
const exampleFiles = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
  .sort()
  .map((f) => `examples/${f}`);
const configs = ["gateway.yaml", ...exampleFiles];

const read = (file: string): string => readFileSync(join(root, file), "utf8");

/** `${NAME}` and `${NAME:-default}` references; `$${...}` is an escaped literal, not a reference. */
function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) names.add(m[1]!);
  return [...names].sort();
}

/** A plausible value for each variable: a Redis URL for `*_URL`, else a distinct 40-character string. */
function dummyEnv(names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    env[name] = name.endsWith("_URL") ? "redis://127.0.0.1:6379" : createHash("sha256").update(name).digest("hex").slice(0, 40);
  }
  return env;
}

/** Keys whose values are secrets in the schema (`x-secret`). */
const secretKeys = new Set(["apiKey", "value", "secret", "accessKeyId", "secretAccessKey", "sessionToken"]);

/** Every secret-valued scalar in the document, with its path. */
function secretValues(text: string): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  const walk = (node: unknown, path: string[], underRedis: boolean, underTracingHeaders: boolean): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const p = [...path, key];
        const redis = underRedis || (path.at(-1) === "state" && key === "redis");
        const tracing = path.at(-1) === "tracing" && key === "headers";
        if (isScalar(pair.value) && (secretKeys.has(key) || (redis && key === "url") || underTracingHeaders)) {
          out.push({ path: p.join("."), value: pair.value.value });
        }
        walk(pair.value, p, redis, tracing);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)], underRedis, underTracingHeaders));
    }
  };
  walk(parseDocument(text).contents, [], false, false);
  return out;
}

describe("example configurations", () => {
  it("has at least six examples besides gateway.yaml", () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(6);
  });

  describe.each(configs)("%s", (file) => {
    const text = read(file);

    it("validates with no env: no errors, and every warning is an unset variable", () => {
      const result = build(text, { file });
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      expect(errors).toEqual([]);
      const otherWarnings = result.diagnostics.filter((d) => d.rule !== "config.env.unset");
      expect(otherWarnings).toEqual([]);
      expect(result.snapshot).toBeDefined();
    });

    it("serves with every referenced variable set: a snapshot and zero findings", () => {
      const env = dummyEnv(referencedVariables(text));
      const result = build(text, { file, mode: "serve", env });
      expect(result.diagnostics).toEqual([]);
      expect(result.snapshot).toBeDefined();
    });

    it("keeps every secret in the environment", () => {
      for (const { path, value } of secretValues(text)) {
        expect(typeof value === "string" && /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value), `${file}: ${path} must be a \${VAR} reference`).toBe(true);
      }
    });
  });

  describe.each(exampleFiles)("%s header", (file) => {
    const text = read(file);

    it("opens with the schema modeline and says how to run it", () => {
      expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schemas/gateway.schema.json");
      const header = text.slice(0, text.search(/^version:/m));
      expect(header).toContain(`aigw validate examples/${basename(file)}`);
      expect(header).toContain(`aigw serve --config examples/${basename(file)}`);
      for (const name of referencedVariables(text)) {
        expect(header, `${file}: the header should name ${name}`).toContain(name);
      }
    });

    it("is described in examples/README.md", () => {
      expect(read("examples/README.md")).toContain(`(${basename(file)})`);
    });
  });

  it("parses env references, skipping escaped ones", () => {
    expect(referencedVariables('a: "${A}"\nb: "${B:-x}"\nc: "$${consumer}"\nd: "${A}"')).toEqual(["A", "B"]);
  });
});
