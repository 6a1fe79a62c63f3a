import { displayPath, toPointer, type Path } from "../../config/pointer.js";
import { gatewaySchema } from "../../config/schema.js";
import { DESCEND, mapWithSchema } from "../../config/schema-walk.js";
import { credentialShape, hasLiteralSecret, literalText, SECRET_KEY_NAME, urlHasLiteralPassword } from "../secrets.js";
import type { LintRule, RuleContext } from "../rule.js";

interface SchemaFacts {
  /** Pointers of secret fields (`x-secret`), mapped to whether the field is a URL. */
  secret: Map<string, boolean>;
  /** Pointers of sha256 fields: hashes, safe to commit, high entropy by nature. */
  hashes: Set<string>;
}

function schemaFacts(raw: unknown): SchemaFacts {
  const facts: SchemaFacts = { secret: new Map(), hashes: new Set() };
  mapWithSchema(raw, gatewaySchema(), (node, refs, value, path) => {
    if (typeof value !== "string") return DESCEND;
    if (node["x-secret"] === true) facts.secret.set(toPointer(path), node.format === "uri");
    if (refs.includes("sha256")) facts.hashes.add(toPointer(path));
    return value;
  });
  return facts;
}

/** Free-form places where a credential-named key holds a credential: plugin config, header edits and header matches. */
function inFreeFormMap(path: Path): boolean {
  const s = path.map(String);
  const plugin = s.findIndex((seg, i) => seg === "config" && s[i - 2] === "plugins");
  if (plugin !== -1) return true;
  const n = s.length;
  return (n >= 3 && s[n - 3] === "match" && s[n - 2] === "headers") || (n >= 4 && s[n - 4] === "headers" && (s[n - 2] === "set" || s[n - 2] === "add"));
}

function upperSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}

/** A variable name to suggest: the owning object's name and the field (`OPENAI_API_KEY`). */
function variableFor(raw: unknown, path: Path): string {
  if (path[0] === "server") return "AIGW_ADMIN_TOKEN";
  const field = String([...path].reverse().find((s) => typeof s === "string" && !/^\d+$/.test(s)) ?? "secret");
  let owner: string | undefined;
  let cur: unknown = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") break;
    const rec = cur as Record<string, unknown>;
    if (typeof rec.name === "string") owner = rec.name;
    else if (typeof rec.id === "string") owner = rec.id;
    cur = rec[String(seg)];
  }
  const name = upperSnake([owner, field === "value" ? "key" : field].filter((x) => x !== undefined).join("_"));
  return name === "" ? "SECRET" : name;
}

export const rule: LintRule = {
  id: "config.inline-secret",
  severity: "error",
  description: "A secret written into the file: a literal in a secret field, or a value shaped like a provider key, token or private key anywhere.",
  hint: 'take it from the environment ("${NAME}") and rotate it: it is in the file\'s history now',
  check(ctx: RuleContext) {
    const raw = ctx.source.doc.toJS({ maxAliasCount: 10_000 }) as unknown;
    const facts = schemaFacts(raw);
    const visit = (value: unknown, path: Path): void => {
      if (Array.isArray(value)) return value.forEach((v, i) => visit(v, [...path, i]));
      if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
        return;
      }
      if (typeof value !== "string") return;
      const pointer = toPointer(path);
      const where = displayPath(path);
      const variable = `"\${${variableFor(raw, path)}}"`;
      const isUrl = facts.secret.get(pointer);
      if (isUrl !== undefined) {
        if (isUrl ? urlHasLiteralPassword(value) : hasLiteralSecret(value)) {
          const hint =
            isUrl
              ? `take the password (or the whole URL) from the environment: ${variable}, and rotate it`
              : path.at(-1) === "value" && path[0] === "auth"
                ? `take it from the environment (${variable}) or commit its sha256 instead (\`aigw hash-key\`), and rotate it`
                : `take it from the environment: ${variable}, and rotate it`;
          ctx.report(path, `${where} holds a literal ${isUrl ? "password" : "secret"}`, { hint });
        }
        return;
      }
      if (facts.hashes.has(pointer)) return;
      const shape = credentialShape(value);
      if (shape !== undefined) {
        ctx.report(path, `${where} holds what looks like ${shape}`, { hint: `if it is a credential, take it from the environment (${variable}) and rotate it` });
        return;
      }
      const key = path.at(-1);
      if (typeof key === "string" && SECRET_KEY_NAME.test(key) && inFreeFormMap(path) && hasLiteralSecret(value)) {
        const literal = literalText(value).replace(/\u0000/g, "").trim();
        if (literal.length >= 8 && !/^[*?]+$/.test(literal)) {
          ctx.report(path, `${where} holds a literal credential`, { hint: `take it from the environment: ${variable}, and rotate it` });
        }
      }
    };
    visit(raw, []);
  },
};
