import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { gatewaySchema } from "./schema.js";

let cachedValidator: ValidateFunction | undefined;

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats));

/**
 * The compiled validator, built once: it is pure, and compiling it costs more
 * than validating a large file. It fills defaults into the data it checks.
 */
export function gatewayValidator(): ValidateFunction {
  if (cachedValidator === undefined) {
    const ajv = new Ajv2020({
      allErrors: true,
      useDefaults: true,
      discriminator: true,
      verbose: true,
      strict: true,
      strictRequired: false,
    });
    addFormats(ajv);
    ajv.addKeyword({ keyword: "x-secret", schemaType: "boolean" });
    cachedValidator = ajv.compile(gatewaySchema());
  }
  return cachedValidator;
}
