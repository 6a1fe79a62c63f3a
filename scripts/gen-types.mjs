// Generates src/config/types.generated.ts from schemas/gateway.schema.json:
// the types of a validated config, where defaulted fields are present.
// `node scripts/gen-types.mjs --check` exits 1 when the committed file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { compile } from "json-schema-to-typescript";

const root = new URL("../", import.meta.url);
const schemaUrl = new URL("schemas/gateway.schema.json", root);
const outUrl = new URL("src/config/types.generated.ts", root);

/**
 * The schema as a validated config is: every property with a `default` is
 * present (ajv's useDefaults fills it, in discriminated branches too), so
 * the generated types mark it required and the runtime reads no fallback.
 */
function resolvedSchema(node) {
  if (Array.isArray(node)) return node.map(resolvedSchema);
  if (node === null || typeof node !== "object") return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === "default" || k === "examples" ? v : resolvedSchema(v)]));
  if (out.properties !== undefined && typeof out.properties === "object") {
    const defaulted = Object.entries(out.properties).filter(([, v]) => v !== null && typeof v === "object" && "default" in v).map(([k]) => k);
    if (defaulted.length > 0) out.required = [...new Set([...(out.required ?? []), ...defaulted])];
  }
  return out;
}

export async function generateTypes() {
  const schema = resolvedSchema(JSON.parse(await readFile(schemaUrl, "utf8")));
  return compile(schema, "GatewayConfig", {
    bannerComment:
      "/* Generated from schemas/gateway.schema.json by scripts/gen-types.mjs. Do not edit; run `npm run gen:types`. */",
    additionalProperties: false,
    unreachableDefinitions: false,
    ignoreMinAndMaxItems: true,
    style: { singleQuote: false, semi: true, printWidth: 100 },
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const ts = await generateTypes();
  if (process.argv.includes("--check")) {
    const current = await readFile(outUrl, "utf8").catch(() => "");
    if (current !== ts) {
      console.error("src/config/types.generated.ts is stale: run `npm run gen:types`");
      process.exit(1);
    }
  } else {
    await writeFile(outUrl, ts);
  }
}
