/* Generated from schemas/gateway.schema.json by scripts/gen-types.mjs. Do not edit; run `npm run gen:types`. */

/**
 * Hex sha256 of the secret (`aigw hash-key`); safe to commit.
 */
export type Sha256 = string;
/**
 * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
 */
export type Secret = string;
/**
 * An authentication provider.
 */
export type AuthProvider = ApiKeyProvider | JwtProvider | OidcProvider;
/**
 * An identifier: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 63 characters.
 */
export type Name = string;
/**
 * Accepted `aud` value(s). Required for `oidc` providers and for `jwt` providers with `jwks`: without it, a token the issuer made for any other client is accepted.
 */
export type Audience = string | string[];
/**
 * Accepted signing algorithms. Never `none`; HS* only with `secret`.
 *
 * @minItems 1
 */
export type JwtAlgorithms = (
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA"
  | "HS256"
  | "HS384"
  | "HS512"
)[];
/**
 * A consumer: the value of the identity's consumer claim (e.g. a JWT `sub` such as `abc123@clients` or an e-mail) or an API key's `consumer`. 1-256 printable characters.
 */
export type ConsumerName = string;
/**
 * Policies applied to this consumer's requests, after the route's.
 */
export type NameList = Name[];
/**
 * Policies applied to every route, after the route's and the consumer's.
 */
export type NameList1 = Name[];
export type PluginEntry = {
  /**
   * A built-in plugin (`request-headers`, `response-headers`, `cors`, `ip-allow`, `ip-deny`, `required-headers`, `request-size`, `json-schema`, `prompt-guard`, `response-guard`, `max-tokens`) or the name of a custom `module`.
   */
  name: string;
  /**
   * Custom plugin module, relative to the config file.
   */
  module?: string;
  /**
   * The plugin's configuration.
   */
  config: {};
  /**
   * Lower runs first.
   */
  priority: number;
  /**
   * Run concurrently with other parallel plugins of the same priority.
   */
  parallel: boolean;
};
/**
 * Auth providers, any one of which suffices; omitted means public.
 */
export type NameList2 = Name[];
/**
 * Policies applied first, before the consumer's and the gateway's.
 */
export type NameList3 = Name[];
/**
 * Upstreams tried in order when the upstream fails or its breaker is open.
 */
export type NameList4 = Name[];
/**
 * A duration: a number with a unit (`500ms`, `10s`, `1m`, `1h`, `1d`), units may be combined (`1h30m`).
 */
export type Duration = string;

/**
 * One file declares the whole gateway: listeners, auth providers, consumers, rate-limit policies, upstream pools and routes.
 */
export interface AigwGatewayConfiguration {
  /**
   * Path or URL of this JSON Schema, for editors.
   */
  $schema?: string;
  /**
   * Version of the configuration format. Only 1 exists.
   */
  version: 1;
  server: Server;
  state: State;
  observability: Observability;
  /**
   * Authentication providers. Routes name them in `auth`; any one of a route's providers suffices.
   */
  auth: AuthProvider[];
  /**
   * Known callers (teams, services). An authenticated identity maps to the consumer whose name equals its consumer claim or API key's `consumer`.
   */
  consumers: Consumer[];
  /**
   * Named rate-limit policies. Routes, consumers and `gateway.rateLimits` refer to them by name.
   */
  rateLimits: RateLimitPolicy[];
  gateway: Gateway;
  /**
   * Upstream pools: AI providers and plain HTTP services.
   */
  upstreams: Upstream[];
  /**
   * Routes, matched by precedence: exact `path` beats `pathPrefix`, a longer prefix beats a shorter one, then file order among routes of the same path.
   */
  routes: Route[];
  /**
   * Prices in USD per 1M tokens, for cost tracking and budgets. `model` is a glob; the entry with the longest literal prefix wins.
   */
  pricing: Price[];
  defaults: Defaults;
  lint: Lint;
}
/**
 * Listeners and server limits.
 */
export interface Server {
  /**
   * Data-plane listener, `host:port`.
   */
  listen: string;
  /**
   * Admin listener for /health, /ready, /metrics and /admin/*. Must be a loopback address unless `adminAuth` is set.
   */
  admin: string;
  /**
   * Bearer tokens for /admin/*. `viewer` reads, `operator` also reloads.
   */
  adminAuth?: {
    /**
     * @minItems 1
     */
    tokens: {
      /**
       * A label for the token, shown in logs.
       */
      id?: string;
      /**
       * The token, usually `${AIGW_ADMIN_TOKEN}`.
       */
      value?: string;
      sha256?: Sha256;
      /**
       * `viewer` reads, `operator` also reloads.
       */
      role: "viewer" | "operator";
    }[];
  };
  /**
   * Which proxies' `X-Forwarded-For` to honour: `false` (none), `true` (all), a hop count, or a list of CIDRs.
   */
  trustProxy: boolean | number | string[];
  limits: {
    /**
     * Largest request body accepted; larger gets 413.
     */
    maxBodyBytes: number;
    /**
     * Time allowed to receive the request headers (HTTP/1.1, with or without TLS; at most `requestTimeoutMs`); also the TLS handshake timeout, and how long an HTTP/2 connection with no open stream stays open. 0 turns it off.
     */
    headersTimeoutMs: number;
    /**
     * Time allowed for a whole request, upstream included, unless the route sets `timeoutMs`. The listener also answers 408 to a request (HTTP/1.1, or an HTTP/2 stream) whose body has not fully arrived by then. 0 turns it off.
     */
    requestTimeoutMs: number;
    /**
     * Largest request header section (HTTP/1.1: 431) or uncompressed header list (HTTP/2: the stream is refused).
     */
    maxHeaderBytes: number;
    /**
     * HTTP/2 connection limits (TLS listeners).
     */
    http2: {
      /**
       * Streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM.
       */
      maxConcurrentStreams: number;
    };
  };
  /**
   * How request paths are made canonical before routing (repeated slashes merged, dot segments removed, unreserved escapes decoded).
   */
  paths: {
    /**
     * Accept `;` (or `%3B`) in paths. Off by default: many servers read `;` as a path parameter (`/internal;x/y` is `/internal/y` to them), so such a path answers 400.
     */
    allowSemicolon: boolean;
  };
  shutdown: {
    /**
     * After SIGTERM, /ready answers 503 this long before the listener stops accepting.
     */
    drainDelayMs: number;
    /**
     * Longest time from the signal to exit, `drainDelayMs` included; in-flight requests are cut after it.
     */
    graceMs: number;
  };
  /**
   * Serve the data plane over TLS (HTTP/2 via ALPN, HTTP/1.1 fallback).
   */
  tls?: {
    /**
     * Path to the PEM certificate chain.
     */
    cert: string;
    /**
     * Path to the PEM private key.
     */
    key: string;
    /**
     * Lowest TLS version accepted.
     */
    minVersion: "TLSv1.2" | "TLSv1.3";
  };
  /**
   * How many replicas serve this file (informational; lint warns when more than one shares in-memory state).
   */
  replicas: number;
}
/**
 * Where rate-limit counters, cache and usage live. Omitted: in memory (one replica).
 */
export interface State {
  /**
   * Share state across replicas through Redis.
   */
  redis?: {
    /**
     * `redis://[user:password@]host:port/db`, usually `${REDIS_URL}`.
     */
    url: string;
    /**
     * Prefix of every key aigw writes.
     */
    keyPrefix: string;
    /**
     * While Redis is unreachable: `allow` lets requests through unlimited, `deny` answers 503.
     */
    onError: "allow" | "deny";
    /**
     * How long a request waits for Redis before `onError` applies.
     */
    timeoutMs: number;
  };
  /**
   * Bounds of the in-memory state.
   */
  memory: {
    /**
     * Most rate-limit counters kept in memory. When full of live counters, new keys share their policy's overflow counter (`aigw_rate_limit_overflow_total`); no live counter is dropped.
     */
    maxKeys: number;
    /**
     * Size bound of the response cache (LRU).
     */
    cacheMaxBytes: number;
  };
}
export interface Observability {
  logs: {
    /**
     * Lowest level written.
     */
    level: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
    /**
     * One JSON line per request.
     */
    accessLog: boolean;
    /**
     * Header names (and log field paths) whose values are replaced by `[redacted]`.
     */
    redact: string[];
  };
  metrics: {
    /**
     * Serve Prometheus metrics on the admin listener's /metrics.
     */
    enabled: boolean;
    /**
     * Prefix of every metric name.
     */
    prefix: string;
    /**
     * Label request and token metrics with the consumer name (bounded by the declared consumers).
     */
    consumerLabel: boolean;
  };
  /**
   * OpenTelemetry traces over OTLP/HTTP.
   */
  tracing?: {
    /**
     * OTLP/HTTP base URL, e.g. `http://localhost:4318`.
     */
    otlpEndpoint: string;
    /**
     * Share of new traces sampled; a sampled parent is always followed.
     */
    sampleRatio: number;
    /**
     * `service.name` of the spans.
     */
    serviceName: string;
    /**
     * Headers sent to the collector (e.g. an API key).
     */
    headers?: {
      [k: string]: Secret;
    };
  };
}
/**
 * API keys from `Authorization: Bearer <key>` or `x-api-key`.
 */
export interface ApiKeyProvider {
  name: Name;
  type: "apiKey";
  /**
   * Accepted keys; several per consumer allow rotation.
   */
  keys: {
    /**
     * An identifier: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 63 characters.
     */
    id: string;
    /**
     * The consumer this key authenticates.
     */
    consumer: string;
    sha256?: Sha256;
    /**
     * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
     */
    value?: string;
    /**
     * Scopes granted to this key, added to its consumer's.
     */
    scopes?: string[];
  }[];
  /**
   * Consumer applied when a key names no declared consumer.
   */
  defaultConsumer?: string;
}
/**
 * JSON Web Tokens verified with a secret, a public key or a JWKS URL (exactly one).
 */
export interface JwtProvider {
  name: Name;
  type: "jwt";
  /**
   * Required `iss`.
   */
  issuer?: string;
  audience?: Audience;
  algorithms: JwtAlgorithms;
  /**
   * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
   */
  secret?: string;
  /**
   * PEM (SPKI) public key for RS/PS/ES/EdDSA.
   */
  publicKey?: string;
  jwks?: {
    /**
     * JWKS endpoint.
     */
    url: string;
    /**
     * Least time between two fetches triggered by an unknown `kid`.
     */
    cooldownMs: number;
    /**
     * How long fetched keys are used before a refresh.
     */
    cacheMaxAgeMs: number;
    /**
     * Timeout of a JWKS fetch.
     */
    timeoutMs: number;
  };
  /**
   * Claim naming the consumer.
   */
  consumerClaim: string;
  /**
   * Claim holding scopes (space-separated string or array).
   */
  scopesClaim: string;
  /**
   * Allowed clock skew for `exp` and `nbf`.
   */
  clockToleranceMs: number;
  /**
   * Refuse tokens without an `exp` claim (401 invalid_token). Turn off only for an issuer that cannot set one: such a token is valid until its key is withdrawn.
   */
  requireExp: boolean;
  /**
   * Header carrying `Bearer <token>`.
   */
  header: string;
  /**
   * Consumer applied when the token's consumer claim names no declared consumer.
   */
  defaultConsumer?: string;
}
/**
 * OpenID Connect: the issuer's discovery document gives the JWKS; tokens are then verified as with `jwt`.
 */
export interface OidcProvider {
  name: Name;
  type: "oidc";
  /**
   * Issuer URL; `/.well-known/openid-configuration` is fetched from it.
   */
  issuer: string;
  audience?: Audience;
  algorithms?: JwtAlgorithms;
  /**
   * Claim naming the consumer.
   */
  consumerClaim: string;
  /**
   * Claim holding scopes (space-separated string or array).
   */
  scopesClaim: string;
  /**
   * Allowed clock skew for `exp` and `nbf`.
   */
  clockToleranceMs: number;
  /**
   * Refuse tokens without an `exp` claim (401 invalid_token). Turn off only for an issuer that cannot set one: such a token is valid until its key is withdrawn.
   */
  requireExp: boolean;
  /**
   * Delay between discovery attempts while the issuer is unreachable.
   */
  discoveryRetryMs: number;
  /**
   * Header carrying `Bearer <token>`.
   */
  header: string;
  /**
   * Consumer applied when the token's consumer claim names no declared consumer.
   */
  defaultConsumer?: string;
}
export interface Consumer {
  name: ConsumerName;
  /**
   * Scopes granted to this consumer, added to its token's.
   */
  scopes: string[];
  /**
   * Allow-list of model globs; omitted means every model.
   */
  models?: string[];
  rateLimits: NameList;
  /**
   * Spending cap; over it the consumer gets 429 `insufficient_quota`.
   */
  budget?: {
    /**
     * USD per period.
     */
    usd: number;
    /**
     * Calendar period in UTC.
     */
    period: "day" | "month";
  };
}
export interface RateLimitPolicy {
  name: Name;
  /**
   * `token_bucket` allows bursts up to `limit`; `leaky_bucket` meters at an even rate; `sliding_window` and `fixed_window` count per window.
   */
  algorithm: "token_bucket" | "leaky_bucket" | "sliding_window" | "fixed_window";
  /**
   * Bucket size, or requests (tokens) per window.
   */
  limit: number;
  /**
   * Refill period: `limit` per `window`.
   */
  window: string;
  /**
   * What is counted: `consumer`, `ip`, `route`, `global`, `header:<name>` or `claim:<name>`.
   */
  key: string;
  /**
   * `tokens` counts LLM prompt + completion tokens.
   */
  cost: "requests" | "tokens";
  /**
   * `shadow` counts and reports but never rejects.
   */
  mode: "enforce" | "shadow";
}
/**
 * Settings applied to every route.
 */
export interface Gateway {
  rateLimits: NameList1;
  /**
   * Plugins run on every route, before the route's own.
   */
  plugins: PluginEntry[];
}
export interface Upstream {
  name: Name;
  /**
   * `mock` answers deterministically with no network; `http` is a plain service.
   */
  type: "openai" | "anthropic" | "ollama" | "bedrock" | "http" | "mock";
  /**
   * Hosts of the pool. Not used by `mock`; a `bedrock` upstream defaults to `https://bedrock-runtime.<region>.amazonaws.com`.
   */
  targets?: Target[];
  /**
   * The upstream's own credentials. The client's are never forwarded.
   */
  credentials?: {
    /**
     * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
     */
    apiKey?: string;
    /**
     * Send `apiKey` raw in this header instead (Azure OpenAI: `api-key`).
     */
    header?: string;
    /**
     * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
     */
    accessKeyId?: string;
    /**
     * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
     */
    secretAccessKey?: string;
    /**
     * A secret. Take it from the environment with `${VAR}`; it is printed as `<redacted:hash>` in every output.
     */
    sessionToken?: string;
  };
  /**
   * AWS region (bedrock).
   */
  region?: string;
  /**
   * `anthropic-version` header sent to anthropic upstreams (default `2023-06-01`).
   */
  anthropicVersion?: string;
  /**
   * Model ids served, listed by GET /v1/models.
   */
  models?: string[];
  /**
   * How a target is picked.
   */
  balancer: "round_robin" | "least_connections" | "weighted" | "p2c_ewma";
  timeouts: {
    /**
     * TCP/TLS connect.
     */
    connectMs: number;
    /**
     * From request sent to response headers.
     */
    firstByteMs: number;
    /**
     * Whole exchange, streamed body included.
     */
    requestMs: number;
  };
  retries: {
    /**
     * Retries after the first try.
     */
    attempts: number;
    /**
     * Conditions retried: `connect_error`, `timeout`, `reset`, or a status code.
     */
    on: (("connect_error" | "timeout" | "reset") | number)[];
    /**
     * Retries never exceed this share of requests.
     */
    budgetRatio: number;
    /**
     * Base delay before a retry (jittered, doubled each time).
     */
    backoffMs: number;
  };
  /**
   * Active health checks against every target.
   */
  healthCheck?: {
    /**
     * Path probed with GET.
     */
    path: string;
    /**
     * Time between probes (jittered).
     */
    intervalMs: number;
    /**
     * Probe timeout.
     */
    timeoutMs: number;
    /**
     * Failed probes in a row that mark a target unhealthy.
     */
    unhealthyThreshold: number;
    /**
     * Passed probes in a row that mark it healthy again.
     */
    healthyThreshold: number;
  };
  /**
   * Per-target breaker: opens when the failure ratio over the window crosses `failureRatio`.
   */
  circuitBreaker?: {
    failureRatio: number;
    /**
     * Requests in the window before the ratio counts.
     */
    minRequests: number;
    windowMs: number;
    /**
     * Time open before half-open probes.
     */
    openMs: number;
    /**
     * Probe requests let through while half-open.
     */
    halfOpenRequests: number;
  };
  pool: {
    /**
     * Most connections per target.
     */
    connections: number;
    /**
     * Idle keep-alive time of a connection.
     */
    keepAliveMs: number;
  };
  /**
   * Send the authenticated consumer's name to this upstream in this header (e.g. `x-aigw-consumer`).
   */
  consumerHeader?: string;
  /**
   * Behaviour of a `mock` upstream.
   */
  mock?: {
    /**
     * Text of every answer; by default it echoes the last user message.
     */
    reply?: string;
    /**
     * Delay before the answer.
     */
    latencyMs: number;
    /**
     * Delay between streamed chunks.
     */
    chunkDelayMs: number;
  };
}
export interface Target {
  /**
   * Base URL of the target (`https://api.openai.com`).
   */
  url: string;
  /**
   * Relative share for the `weighted` balancer.
   */
  weight: number;
}
export interface Route {
  name: Name;
  match: RouteMatch;
  auth?: NameList2;
  /**
   * Scopes a caller must all hold.
   */
  scopes: string[];
  rateLimits: NameList3;
  /**
   * An identifier: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 63 characters.
   */
  upstream?: string;
  /**
   * Weighted traffic split across upstreams (canary, A/B).
   *
   * @minItems 1
   */
  split?: {
    upstream: Name;
    weight: number;
  }[];
  /**
   * Keep each consumer on one side of the split.
   */
  sticky?: "consumer";
  fallback?: NameList4;
  /**
   * Exact-match response cache, deterministic requests only.
   */
  cache?: {
    ttl: Duration;
    /**
     * Cache even non-deterministic requests (temperature > 0).
     */
    force: boolean;
    /**
     * Share entries between consumers (`global`) or not.
     */
    scope: "consumer" | "global";
  };
  /**
   * Whole-request timeout for this route.
   */
  timeoutMs?: number;
  rewrite?: {
    /**
     * Removed from the start of the path before proxying.
     */
    stripPrefix?: string;
    /**
     * Added to the start of the path before proxying (after `stripPrefix`).
     */
    prefix?: string;
  };
  headers?: {
    request?: HeaderRules;
    response?: HeaderRules;
  };
  /**
   * Plugins run on this route, after the gateway's.
   */
  plugins: PluginEntry[];
}
/**
 * Conditions a request must meet. `path` and `pathPrefix` exclude each other; with neither, every path matches.
 */
export interface RouteMatch {
  /**
   * Exact path.
   */
  path?: string;
  /**
   * Path prefix, matched at segment boundaries (`/v1/api` takes `/v1/api/x`, not `/v1/apix`).
   */
  pathPrefix?: string;
  /**
   * Allowed methods; omitted means all.
   *
   * @minItems 1
   */
  methods?: ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS")[];
  /**
   * Host: exact, `*.suffix`, `prefix.*` or `*`.
   */
  host?: string;
  /**
   * Headers that must be present with these values (globs; `*` = present).
   */
  headers?: {
    [k: string]: string;
  };
  /**
   * Model glob(s) read from the JSON body's `model` (AI routes only).
   */
  model?: string | string[];
}
/**
 * Header edits: `set` replaces, `add` appends, `remove` deletes.
 */
export interface HeaderRules {
  /**
   * Headers to set, replacing any value.
   */
  set?: {
    [k: string]: string;
  };
  /**
   * Headers to append.
   */
  add?: {
    [k: string]: string;
  };
  /**
   * Header names to delete.
   */
  remove?: string[];
}
export interface Price {
  /**
   * Model glob.
   */
  model: string;
  /**
   * USD per 1M input (prompt) tokens.
   */
  input: number;
  /**
   * USD per 1M output (completion) tokens.
   */
  output: number;
}
export interface Defaults {
  /**
   * `max_tokens` sent to providers that require it when the request has none.
   */
  maxTokens: number;
}
export interface Lint {
  /**
   * Severity overrides by rule id.
   */
  rules?: {
    [k: string]: "off" | "info" | "warning" | "error";
  };
}
