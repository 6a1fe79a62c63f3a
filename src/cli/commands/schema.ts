import { gatewaySchemaText } from "../../config/schema.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";

/** `aigw schema`: the JSON Schema of gateway.yaml, for editors and other tools. */
export async function schemaCommand(io: Io): Promise<number> {
  io.stdout(gatewaySchemaText());
  return ExitCode.Ok;
}
