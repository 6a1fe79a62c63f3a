// Generates the configuration reference in docs/config/ from schemas/gateway.schema.json:
// one page per top-level key, plugins.md for the built-in plugins' configs, and README.md as the index.
// `node scripts/gen-config-docs.mjs --check` writes nothing and exits 1 when a page is stale, missing or left over.
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";

const root = new URL("../", import.meta.url);
const outDir = new URL("docs/config/", root);
const BANNER = "<!-- Generated from schemas/gateway.schema.json by scripts/gen-config-docs.mjs. Do not edit: change the schema, then run `npm run gen:docs`. -->";

/**
 * Definitions that act as value types (a string with a format, a list of names): the type column links
 * to their entry under "Conventions" in the index instead of repeating their description on every row.
 */
const VALUE_TYPES = {
  name: "[name](README.md#names)",
  nameList: "list of [name](README.md#names)",
  consumerName: "[consumer name](README.md#names)",
  duration: "[duration](README.md#durations-and-times)",
  millis: "integer, [ms](README.md#durations-and-times)",
  secret: "string, [secret](README.md#secrets-and-environment-variables)",
  sha256: "hex sha256",
  listenAddress: "`host:port`",
};

/** Value types whose description is the convention itself, so a row without its own description stays empty. */
const SELF_EXPLAINED = new Set(["name", "nameList", "duration", "millis", "secret"]);

/** Said in the index for a top-level key whose schema has no description of its own. */
const KEY_SUMMARY = {
  observability: "Logs, Prometheus metrics and OpenTelemetry traces.",
  defaults: "Values sent to providers when a request leaves them out.",
  lint: "Severity overrides for the rules of `aigw lint`.",
};

const CONVENTIONS = `## Conventions

### Names

Routes, upstreams, auth providers, rate-limit policies, admin tokens and API
keys have a **name**: letters, digits, \`.\`, \`_\` and \`-\`, starting with a
letter or digit, at most 63 characters. Names are unique per kind, and other
objects refer to them by name (\`routes[].upstream: openai\`). A **consumer
name** is looser, since it is an identity's claim (a JWT \`sub\` such as
\`abc123@clients\`, an e-mail): 1 to 256 printable characters.

### Durations and times

A **duration** is a number with a unit, \`ms\`, \`s\`, \`m\`, \`h\` or \`d\`,
units may be combined: \`500ms\`, \`10s\`, \`1m\`, \`1h30m\`. A key that ends in
\`Ms\` takes an integer number of milliseconds instead (\`timeoutMs: 60000\`).
\`1m\` and \`60s\` are the same value: neither \`diff\` nor \`plan\` reports a
change between them.

### Secrets and environment variables

\`\${VAR}\` and \`\${VAR:-default}\` in a value are replaced from the
environment (never in keys; \`$\${X}\` is a literal \`\${X}\`). A plain scalar that
is exactly one reference takes the type of what it holds (\`limit:
\${LIMIT:-100}\` is a number); quote references inside a flow mapping:
\`{ apiKey: "\${KEY}" }\`. In \`validate\`, \`lint\` and \`plan\` an unset variable
is a warning and the value is checked for type only (CI has no secrets); in
\`serve\` and \`validate --strict\` it is an error.

A field marked **secret** holds a credential: take it from the environment
(\`apiKey: "\${OPENAI_API_KEY}"\`), never write it in the file (lint rule
\`config.inline-secret\`). Secrets, and values of variables whose names
contain KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL or PRIVATE, are printed as
\`<redacted:1a2b3c4d>\` (the first 8 hex digits of their sha256) in every
output: \`/admin/config\`, \`diff\`, \`plan\`, findings and logs. A changed
secret shows as a change, never as text.

\`\${consumer}\`, \`\${route}\` and \`\${requestId}\` are per-request
placeholders in header values and plugin configs; they are never read from
the environment.

### Defaults, unknown keys and the canonical form

A key left out takes the default shown in its table; the "Defaults" block at
the top of a page is what the whole section means when it is left out.
Unknown keys are errors, with a "did you mean" hint. The canonical form of a
config (keys sorted, defaults filled, durations normalised, secrets
redacted) is what \`GET /admin/config\`, \`diff\` and \`plan\` compare; its
sha256 is the config hash (\`aigw_config_info{hash}\`).
`;

function loadSchema() {
  return JSON.parse(readFileSync(new URL("schemas/gateway.schema.json", root), "utf8"));
}

/** Everything the generator derives from one schema. */
function makeReference(schema) {
  const defName = (node) => (node?.$ref?.startsWith("#/$defs/") ? node.$ref.slice("#/$defs/".length) : undefined);

  /** The node with its `$ref` followed; keywords written next to the `$ref` win over the target's. */
  function resolve(node) {
    let cur = node ?? {};
    const seen = new Set();
    while (cur.$ref && !seen.has(cur.$ref)) {
      seen.add(cur.$ref);
      const target = cur.$ref.slice(2).split("/").reduce((o, k) => o[k], schema);
      const { $ref, ...siblings } = cur;
      cur = { ...target, ...siblings };
    }
    return cur;
  }

  const isObject = (s) => s.type === "object" || s.properties !== undefined;
  const hasRows = (s) => s.properties !== undefined || (s.oneOf !== undefined && s.discriminator !== undefined);

  function bounds(s) {
    const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum > 0 ? `≥ ${s.minimum}` : undefined;
    if (s.maximum !== undefined) return s.minimum !== undefined ? `${s.minimum}–${s.maximum}` : `≤ ${s.maximum}`;
    return lo;
  }

  function typeOf(node) {
    const named = defName(node);
    if (named && VALUE_TYPES[named] && !node.type) return VALUE_TYPES[named];
    if (named === "secret" || resolve(node)["x-secret"]) return VALUE_TYPES.secret;
    const s = resolve(node);
    if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
    if (s.enum) return s.enum.map((v) => `\`${v}\``).join(" | ");
    if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
    if (s.oneOf) return "object";
    if (s.type === "array") return `list of ${typeOf(s.items ?? {})}`;
    if (isObject(s) && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object") return `map of ${typeOf(s.additionalProperties)}`;
    if (s.format === "uri") return "URL";
    const b = bounds(s);
    return b ? `${s.type}, ${b}` : (s.type ?? "any");
  }

  function descriptionOf(node) {
    if (node.description !== undefined) return node.description;
    const named = defName(node);
    if (named && SELF_EXPLAINED.has(named)) return "";
    return resolve(node).description ?? "";
  }

  function shownDefault(node, required) {
    const d = resolve(node).default;
    const empty = d !== null && typeof d === "object" && Object.keys(d).length === 0;
    if (d !== undefined && !empty) return `\`${JSON.stringify(d)}\``;
    return required ? "required" : "";
  }

  const cell = (text) => String(text ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

  /** Table rows for the properties under `node`, each named by its full path (`routes[].match.path`). */
  function rows(node, path, out) {
    const s = resolve(node);
    if (s.type === "array" && s.items) {
      const item = resolve(s.items);
      if (hasRows(item)) rows(s.items, `${path}[]`, out);
      return out;
    }
    if (s.oneOf && s.discriminator) {
      for (const branch of s.oneOf) {
        const tag = resolve(branch).properties[s.discriminator.propertyName].const;
        rows(branch, `${path} (${s.discriminator.propertyName}: ${tag})`, out);
      }
      return out;
    }
    if (!s.properties) return out;
    const required = new Set(s.required ?? []);
    for (const [key, prop] of Object.entries(s.properties)) {
      const name = path === "" ? key : `${path}.${key}`;
      let description = descriptionOf(prop);
      if (description === "" && key === "name" && /^[A-Za-z]+\[\]$/.test(path)) description = `Unique among the entries of \`${path.slice(0, -2)}\`; other keys refer to the entry by it.`;
      if (name.endsWith("plugins[].config")) description = `${description} See [plugins](plugins.md) for each built-in plugin's.`.trim();
      out.push(`| \`${name}\` | ${cell(typeOf(prop))} | ${shownDefault(prop, required.has(key))} | ${cell(description)} |`);
      rows(prop, name, out);
    }
    return out;
  }

  const table = (lines) => `| key | type | default | description |\n|---|---|---|---|\n${lines.join("\n")}\n`;

  /** What an omitted section means: every default ajv fills in, following only objects that are themselves defaulted. */
  function defaultsOf(node) {
    const s = resolve(node);
    if (!s.properties) return undefined;
    const out = {};
    for (const [key, prop] of Object.entries(s.properties)) {
      const p = resolve(prop);
      if (p.default === undefined) continue;
      if (isObject(p) && p.default !== null && typeof p.default === "object" && !Array.isArray(p.default)) {
        const inner = { ...defaultsOf(prop), ...p.default };
        if (Object.keys(inner).length > 0) out[key] = inner;
      } else if (!(Array.isArray(p.default) && p.default.length === 0)) {
        out[key] = p.default;
      }
    }
    return out;
  }

  const link = () => "[← configuration reference](README.md)";

  function page(key, prop) {
    const s = resolve(prop);
    const parts = [BANNER, "", `# \`${key}\``, "", link(key), ""];
    const summary = s.description ?? KEY_SUMMARY[key];
    if (summary) parts.push(summary, "");
    const defaults = defaultsOf(prop);
    if (s.type !== "array" && defaults && Object.keys(defaults).length > 0) {
      parts.push("Defaults (what leaving the key out means):", "", "```yaml", stringify({ [key]: defaults }, { lineWidth: 0 }).trimEnd(), "```", "");
    }
    const item = s.type === "array" ? resolve(s.items) : undefined;
    if (item?.oneOf && item.discriminator) {
      const tagName = item.discriminator.propertyName;
      parts.push(`A list. Each entry has a \`${tagName}\`, which decides its other keys:`, "");
      for (const branch of item.oneOf) {
        const b = resolve(branch);
        const tag = b.properties[tagName].const;
        parts.push(`## \`${tagName}: ${tag}\``, "");
        if (b.description) parts.push(b.description, "");
        parts.push(table(rows(branch, `${key}[]`, [])));
      }
    } else {
      if (item) parts.push("A list. Each entry:", "");
      parts.push(table(rows(prop, key, [])));
    }
    return parts.join("\n");
  }

  function pluginsPage() {
    const entry = resolve({ $ref: "#/$defs/pluginEntry" });
    const parts = [
      BANNER,
      "",
      "# Plugins",
      "",
      link("plugins"),
      "",
      "`gateway.plugins` and `routes[].plugins` are lists of plugin entries. Gateway plugins run before a route's own; lower `priority` first; entries of one list and one priority with `parallel: true` run at the same time. How plugins run, custom plugins and guardrails: [concepts](../concepts.md#plugins-and-guardrails).",
      "",
      "## An entry",
      "",
      table(rows({ $ref: "#/$defs/pluginEntry" }, "", [])),
      "## Built-in plugins",
      "",
    ];
    for (const rule of entry.allOf ?? []) {
      const name = rule.if?.properties?.name?.const;
      const config = rule.then?.properties?.config;
      if (name === undefined || config === undefined) continue;
      const required = (rule.then.required ?? []).includes("config");
      parts.push(`### \`${name}\``, "");
      const c = resolve(config);
      if (c.description) parts.push(c.description, "");
      parts.push(required ? "`config` is required." : "`config` is optional.", "");
      parts.push(table(rows(config, "config", [])));
    }
    return parts.join("\n");
  }

  function index(pages) {
    const parts = [
      BANNER,
      "",
      "# Configuration reference",
      "",
      `${schema.description} This reference is generated from [\`schemas/gateway.schema.json\`](../../schemas/gateway.schema.json), the single source of truth: \`aigw validate\` checks a file against it, and editors that speak the YAML language server complete and explain keys when the file starts with`,
      "",
      "```yaml",
      "# yaml-language-server: $schema=./schemas/gateway.schema.json",
      "```",
      "",
      "(`aigw schema` prints it). [getting started](../getting-started.md) walks through a first file; [concepts](../concepts.md) explains what the keys do together.",
      "",
      "## Top-level keys",
      "",
      "| key | what it holds |",
      "|---|---|",
    ];
    const required = new Set(schema.required ?? []);
    for (const [key, prop] of Object.entries(schema.properties)) {
      const s = resolve(prop);
      const description = cell(descriptionOf(prop) || s.description || KEY_SUMMARY[key] || "");
      if (pages.has(key)) parts.push(`| [\`${key}\`](${key}.md) | ${description} |`);
      else parts.push(`| \`${key}\` | ${description} Type: ${cell(typeOf(prop))}${required.has(key) ? ", required" : ""}. |`);
    }
    parts.push("| [plugins](plugins.md) | The configs of the built-in plugins named in `gateway.plugins` and `routes[].plugins`. |", "", CONVENTIONS);
    return parts.join("\n");
  }

  return { resolve, hasRows, page, pluginsPage, index };
}

/** Every generated page, by file name under docs/config/. */
export function generate(schema = loadSchema()) {
  const ref = makeReference(schema);
  const pages = new Map();
  for (const [key, prop] of Object.entries(schema.properties)) {
    const s = ref.resolve(prop);
    const item = s.type === "array" ? ref.resolve(s.items) : undefined;
    if (ref.hasRows(s) || (item && ref.hasRows(item))) pages.set(key, ref.page(key, prop));
  }
  const files = new Map([...pages].map(([key, text]) => [`${key}.md`, text]));
  files.set("plugins.md", ref.pluginsPage());
  files.set("README.md", ref.index(pages));
  return files;
}

function main() {
  const files = generate();
  const check = process.argv.includes("--check");
  const present = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith(".md")) : [];
  const leftover = present.filter((f) => !files.has(f) && readFileSync(new URL(f, outDir), "utf8").startsWith(BANNER));
  const stale = [...files].filter(([f, text]) => !present.includes(f) || readFileSync(new URL(f, outDir), "utf8") !== text).map(([f]) => f);
  if (check) {
    if (stale.length + leftover.length === 0) return 0;
    for (const f of stale) console.error(`docs/config/${f} is stale or missing`);
    for (const f of leftover) console.error(`docs/config/${f} documents a key the schema no longer has`);
    console.error("run `npm run gen:docs` and commit the result");
    return 1;
  }
  mkdirSync(outDir, { recursive: true });
  for (const f of stale) writeFileSync(new URL(f, outDir), files.get(f));
  for (const f of leftover) unlinkSync(new URL(f, outDir));
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) process.exitCode = main();
