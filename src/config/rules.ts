/**
 * Every rule id that `aigw validate` can report, with what it means. The
 * ids are stable: CI scripts, SARIF viewers and `lint.rules` refer to them.
 * A test checks that every finding the pipeline emits is listed here.
 */
export interface RuleInfo {
  readonly id: string;
  readonly description: string;
}

const rules: Record<string, string> = {
  "yaml.syntax": "The file is not valid YAML.",
  "yaml.duplicate-key": "A key appears twice in one mapping.",
  "yaml.alias-limit": "The document expands too many aliases (a resource-exhaustion guard).",
  "yaml.warning": "The YAML parser warns about a construct.",
  "config.env.unset": "A `${VAR}` names an environment variable that is not set (warning in validate, error in serve).",
  "config.env.malformed": "A `${...}` reference is not of the form `${NAME}` or `${NAME:-default}`.",
  "schema.unknown-key": "A key the schema does not define (often a typo).",
  "schema.required": "A required key is missing.",
  "schema.type": "A value has the wrong type.",
  "schema.enum": "A value is not one of the allowed values.",
  "schema.const": "A value must be exactly one constant.",
  "schema.pattern": "A value does not have the required form.",
  "schema.name": "A name is not a valid identifier.",
  "schema.duration": "A value is not a duration such as `500ms`, `10s`, `1m`.",
  "schema.format": "A value is not a valid URI (or other format).",
  "schema.range": "A number is out of range.",
  "schema.length": "A string is empty or too long.",
  "schema.items": "A list has too few or too many items.",
  "schema.unique": "A list holds the same item twice.",
  "schema.invalid": "A value breaks another schema rule.",
  "upstream.name.duplicate": "Two upstreams share a name.",
  "auth.name.duplicate": "Two auth providers share a name.",
  "consumer.name.duplicate": "Two consumers share a name.",
  "rate-limit.name.duplicate": "Two rate-limit policies share a name.",
  "route.name.duplicate": "Two routes share a name.",
  "route.upstream.unknown": "A route's `upstream` names no declared upstream.",
  "route.split.upstream.unknown": "A `split` entry names no declared upstream.",
  "route.fallback.unknown": "A `fallback` entry names no declared upstream.",
  "route.auth.unknown": "A route's `auth` names no declared auth provider.",
  "route.rate-limit.unknown": "A route's `rateLimits` names no declared policy.",
  "consumer.rate-limit.unknown": "A consumer's `rateLimits` names no declared policy.",
  "gateway.rate-limit.unknown": "`gateway.rateLimits` names no declared policy.",
  "auth.default-consumer.unknown": "`defaultConsumer` names no declared consumer.",
  "route.upstream.missing": "A route has neither `upstream` nor `split`.",
  "route.upstream.conflict": "A route has both `upstream` and `split`.",
  "route.split.weights-zero": "Every weight of a split is zero.",
  "route.sticky.no-split": "`sticky` without `split` has no effect.",
  "route.match.conflict": "A route has both `path` and `pathPrefix`.",
  "route.match.path.invalid": "A route path that normalisation refuses (encoded slash, backslash, NUL), so no request can match it.",
  "route.fallback.self": "A route falls back to its own upstream.",
  "route.model.not-ai": "`match.model` on a route without an AI upstream.",
  "route.cache.not-ai": "`cache` on a route without an AI upstream.",
  "route.cache.ttl-zero": "A cache ttl of zero.",
  "route.scopes.no-auth": "A route requires scopes but has no auth.",
  "route.rewrite.strip-prefix.mismatch": "`stripPrefix` is not a prefix of the route's path.",
  "upstream.targets.missing": "A non-mock upstream has no targets.",
  "upstream.weights-zero": "Every target of an upstream has weight 0.",
  "upstream.target.duplicate": "An upstream lists the same target twice.",
  "upstream.region.missing": "A bedrock upstream has no `region`.",
  "upstream.credentials.incomplete": "Bedrock credentials need both access key id and secret.",
  "upstream.option.ignored": "An upstream option that does not apply to its type.",
  "upstream.health-check.timeout": "A health-check timeout not shorter than its interval.",
  "auth.key.secret.missing": "An API key has neither `sha256` nor `value`.",
  "auth.key.secret.conflict": "An API key has both `sha256` and `value`.",
  "auth.key.id.duplicate": "Two keys of one provider share an id.",
  "auth.key.duplicate": "The same key secret is declared twice.",
  "auth.jwt.key.missing": "A jwt provider has none of `secret`, `publicKey`, `jwks`.",
  "auth.jwt.key.conflict": "A jwt provider has more than one of `secret`, `publicKey`, `jwks`.",
  "auth.jwt.algorithm.none": "The `none` algorithm is never accepted.",
  "auth.jwt.algorithm.mismatch": "HS* algorithms without a secret, or asymmetric ones with a secret.",
  "auth.jwt.secret.weak": "An HMAC secret shorter than 32 bytes.",
  "server.admin-token.secret.missing": "An admin token has neither `value` nor `sha256`.",
  "server.admin-token.secret.conflict": "An admin token has both `value` and `sha256`.",
  "server.admin.exposed": "The admin listener is not on loopback and has no `adminAuth`.",
  "server.listen.conflict": "The data and admin listeners use the same port.",
  "server.port.range": "A port above 65535.",
  "server.trust-proxy.cidr": "A `trustProxy` entry that is not an IP or CIDR.",
  "server.tls.file.missing": "A TLS file that does not exist (warning in validate, error in serve).",
  "rate-limit.window.zero": "A rate-limit window of zero.",
  "pricing.model.duplicate": "Two pricing entries for the same model pattern.",
  "plugin.unknown": "A plugin that is neither built in nor given a `module`.",
  "plugin.module.missing": "A plugin module file that does not exist (warning in validate, error in serve).",
  "plugin.module.invalid": "A plugin module that fails to load, whose default export is not a plugin (`{name, schema?, create}`), or whose schema does not compile.",
  "plugin.config.invalid": "A built-in plugin config value the schema cannot check: a guard pattern that is not a regular expression, a guard with nothing to detect, an address that is not an IP or CIDR.",
  "plugin.schema.missing": "A `json-schema` plugin's schema file that does not exist (warning in validate, error in serve).",
  "plugin.schema.invalid": "A `json-schema` plugin's schema file that is not JSON or not a valid JSON Schema.",
  "plugin.not-ai": "An AI-only plugin (`prompt-guard`, `response-guard`, `max-tokens`) on a route without an AI upstream, where it is left out.",
  "plugin.consumer.unknown": "A `max-tokens` per-consumer limit for a name that is not a declared consumer.",
};

export const VALIDATE_RULES: readonly RuleInfo[] = Object.freeze(
  Object.entries(rules).map(([id, description]) => Object.freeze({ id, description })),
);

export function ruleInfo(id: string): RuleInfo | undefined {
  const description = rules[id];
  return description === undefined ? undefined : { id, description };
}
