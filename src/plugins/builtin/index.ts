import type { BuiltinPlugin } from "../instance.js";
import { cors } from "./cors.js";
import { promptGuard, responseGuard } from "./guards.js";
import { requestHeaders, responseHeaders } from "./headers.js";
import { ipAllow, ipDeny } from "./ip.js";
import { maxTokens } from "./max-tokens.js";
import { jsonSchema, requestSize, requiredHeaders } from "./requests.js";

/** The built-in plugins by name (config/kinds.ts `BUILTIN_PLUGINS` lists the same names). */
export const BUILTINS: ReadonlyMap<string, BuiltinPlugin> = new Map(
  [requestHeaders, responseHeaders, cors, ipAllow, ipDeny, requiredHeaders, requestSize, jsonSchema, promptGuard, responseGuard, maxTokens].map((p) => [p.name, p]),
);
