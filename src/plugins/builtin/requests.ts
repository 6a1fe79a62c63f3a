import { resolve } from "node:path";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import type { Ajv2020 } from "ajv/dist/2020.js";
import { HttpError } from "../../errors/http.js";
import type { BuiltinPlugin } from "../instance.js";
import { bufferBody, checkBodySize } from "./body.js";

type AddFormats = (ajv: Ajv | Ajv2020) => unknown;

/** `required-headers`: 400 `missing_header` naming the first header the request lacks. */
export const requiredHeaders: BuiltinPlugin = {
  name: "required-headers",
  needsBody: false,
  create(config) {
    const names = (config.headers as string[]).map((h) => h.toLowerCase());
    return {
      request(call) {
        const headers = call.ctx.req.headers;
        for (const name of names) {
          const v = headers[name];
          if (v === undefined || v === "") throw new HttpError("missing_header", `the request must carry the header ${name}`);
        }
      },
    };
  },
};

/** `request-size`: 413 `payload_too_large` over `maxBytes` (tighter than `server.limits.maxBodyBytes` for this route). */
export const requestSize: BuiltinPlugin = {
  name: "request-size",
  needsBody: false,
  create(config) {
    const max = config.maxBytes as number;
    return {
      request(call) {
        return checkBodySize(call.ctx, max);
      },
    };
  },
};

/**
 * Compiles a user's JSON Schema with the draft its `$schema` names (2020-12 when none); `useDefaults` fills the defaults it declares into the data.
 * ajv is imported here, not at start-up: only configs with custom plugins or `json-schema` need it.
 */
export async function compileUserSchema(schema: unknown, useDefaults = false): Promise<ValidateFunction> {
  const declared = typeof schema === "object" && schema !== null ? String((schema as { $schema?: unknown }).$schema ?? "") : "";
  const options = { allErrors: true, strict: false, verbose: true, useDefaults } as const;
  const [{ Ajv }, { Ajv2020 }, formats] = await Promise.all([import("ajv"), import("ajv/dist/2020.js"), import("ajv-formats")]);
  const addFormats = ((formats.default as unknown as { default?: AddFormats }).default ?? (formats.default as unknown as AddFormats));
  const ajv = /draft-0[67]/.test(declared) ? new Ajv(options) : new Ajv2020(options);
  addFormats(ajv);
  return ajv.compile(schema as object);
}

/** The first few errors, as one line: `/messages/0/role must be one of "user", "system"; ...`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, limit = 3): string {
  const list = (errors ?? []).slice(0, limit).map((e) => {
    const where = e.instancePath === "" ? "the body" : e.instancePath;
    const p = e.params as Record<string, unknown>;
    if (e.keyword === "enum") return `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    if (e.keyword === "additionalProperties") return `${where} has an unexpected key ${JSON.stringify(p.additionalProperty)}`;
    if (e.keyword === "required") return `${where} is missing ${JSON.stringify(p.missingProperty)}`;
    return `${where} ${e.message ?? "is invalid"}`;
  });
  const more = (errors?.length ?? 0) - list.length;
  return list.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}

/**
 * `json-schema`: the request body must be JSON matching the schema file
 * (relative to the config file; read and compiled once per loaded config).
 * 400 `invalid_body` when it is not JSON, `schema_validation_failed` with
 * the first errors when it does not match. On routes that are not AI
 * routes the body is read whole (bounded by `server.limits.maxBodyBytes`).
 */
export const jsonSchema: BuiltinPlugin = {
  name: "json-schema",
  needsBody: true,
  async create(config, env) {
    const file = config.schema as string;
    const path = resolve(env.baseDir, file);
    const validate = await compileUserSchema(JSON.parse(await env.readFile(path)) as unknown);
    return {
      async request(call) {
        const ctx = call.ctx;
        let value: unknown = ctx.json;
        if (value === null) {
          const body = await bufferBody(ctx, env.maxBodyBytes);
          try {
            value = body === null || body.length === 0 ? undefined : JSON.parse(body.toString("utf8"));
          } catch {
            value = undefined;
          }
          if (value === undefined) throw new HttpError("invalid_body", "the request body must be JSON");
        }
        if (!validate(value)) throw new HttpError("schema_validation_failed", `the request body does not match ${file}: ${describeErrors(validate.errors)}`);
      },
    };
  },
};
