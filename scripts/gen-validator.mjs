// Generates src/config/gateway-validator.generated.ts: the validator of
// schemas/gateway.schema.json as ajv standalone code, so no process compiles
// the schema at start-up (compiling it took longer than the rest of
// `aigw validate`). `npm run build` runs this before tsc; the file is not
// committed (.gitignore). After editing the schema, run `npm run build` (or
// `npm run gen:validator`) before running vitest directly.
import { readFile, writeFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import standaloneCodeModule from "ajv/dist/standalone/index.js";

const root = new URL("../", import.meta.url);
const schemaUrl = new URL("schemas/gateway.schema.json", root);
const outUrl = new URL("src/config/gateway-validator.generated.ts", root);
const addFormats = addFormatsModule.default ?? addFormatsModule;
const standaloneCode = standaloneCodeModule.default ?? standaloneCodeModule;

/**
 * The options of config validation: every error (findings list them all),
 * defaults filled into the data, `discriminator` for the `type` unions,
 * `verbose` for the failing value and schema node in each error (findings
 * quote them). `x-secret` is an annotation for redaction, not a check.
 */
function gatewayAjv() {
  const ajv = new Ajv2020({
    allErrors: true,
    useDefaults: true,
    discriminator: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    code: { source: true, esm: true, lines: true },
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: "x-secret", schemaType: "boolean" });
  return ajv;
}

/**
 * ajv's ES module output still `require`s its runtime helpers (deep equal,
 * string length, the format functions): a `require` made with
 * createRequire loads them as CommonJS, as ajv itself would, under Node and
 * under vitest alike (their default-import interop differs).
 */
function toModule(code) {
  const head = /^"use strict";\s*export const validate = (validate\d+);\s*export default validate\d+;\s*/;
  const match = head.exec(code);
  if (match === null) throw new Error("ajv's standalone code does not start as expected");
  return [
    "// @ts-nocheck",
    "/* Generated from schemas/gateway.schema.json by scripts/gen-validator.mjs (ajv standalone code). Do not edit; `npm run build` regenerates it. */",
    'import { createRequire } from "node:module";',
    'import type { ErrorObject } from "ajv";',
    "const require = createRequire(import.meta.url);",
    code.slice(match[0].length).trimEnd(),
    "",
    "/** Checks a config against the gateway schema and fills its defaults in place; on failure `errors` lists every error. */",
    `export const validateGatewaySchema: { (data: unknown): boolean; errors?: ErrorObject[] | null } = ${match[1]};`,
    "",
  ].join("\n");
}

export async function generateValidator() {
  const ajv = gatewayAjv();
  const validate = ajv.compile(JSON.parse(await readFile(schemaUrl, "utf8")));
  return toModule(standaloneCode(ajv, validate));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  await writeFile(outUrl, await generateValidator());
}
