import type { ErrorObject } from "ajv";
import { validateGatewaySchema } from "./gateway-validator.generated.js";

/** A validator of the gateway schema: fills defaults into the data it checks; on failure `errors` lists every error (ajv's error objects, verbose). */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * The gateway schema's validator. It is generated at build time as ajv
 * standalone code (scripts/gen-validator.mjs): compiling the schema at
 * start-up cost more than the rest of `aigw validate`.
 */
export function gatewayValidator(): SchemaValidator {
  return validateGatewaySchema;
}
