import { ApiKeyAuthenticator } from "../auth/api-key.js";
import { clientSubnet } from "../net/client-ip.js";
import { consumerOf, missingScopes, modelRefusal } from "../auth/consumer-policy.js";
import { scopesFromClaim, type Identity } from "../compile/identity.js";
import type { CompiledRoute, MatchRequest } from "../compile/route.js";
import { normalizeHost } from "../compile/router/host.js";
import type { TraceEntry } from "../compile/router/router.js";
import type { Snapshot } from "../compile/snapshot.js";
import { redact } from "../config/canonical.js";
import type { CompiledConsumer as Consumer } from "../compile/snapshot.js";
import { builtinRoute } from "../pipeline/builtins.js";
import { policiesFor, routeCandidates, selectRoute, type BuiltinName } from "../pipeline/route-decision.js";
import { isCacheable } from "../cache/cacheable.js";

/** A request as `explain`, `test` and `replay` describe it. */
export interface DecisionRequest {
  method: string;
  /** Path as sent, query allowed. */
  path: string;
  /** Lower-case header names. */
  headers?: Readonly<Record<string, string>>;
  model?: string;
  /** The caller's consumer, when known without credentials. */
  consumer?: string;
  /** Claims of an already-verified JWT (offline: signatures are not checked). */
  claims?: Readonly<Record<string, unknown>>;
  /** The client address, for `key: ip` limits. */
  ip?: string;
  /** The JSON body, for cacheability. */
  body?: Readonly<Record<string, unknown>>;
}

export interface Decision {
  matched: boolean;
  /** The gateway's own answer: 200 = forwarded; 400, 401, 403, 404. */
  status: 200 | 400 | 401 | 403 | 404;
  reason: string;
  route: CompiledRoute | null;
  upstream: string | null;
  fallback: readonly string[];
  auth: readonly string[];
  scopes: readonly string[];
  consumer: string | null;
  rateLimits: { policy: string; key: string }[];
  cacheable: boolean;
  trace: TraceEntry[];
}

const sensitiveHeaders: ReadonlySet<string> = new Set(["authorization", "x-api-key", "cookie", "proxy-authorization"]);

/**
 * What the gateway would do with a request, from the compiled snapshot alone:
 * the route (through the same router the server uses), the auth decision as
 * far as it can be made offline, the limits and their keys, cacheability.
 */
/**
 * Decisions over one snapshot: the API-key providers are built once (as the
 * data plane builds them once per generation), so `test` and `replay` can
 * run thousands of requests through one decider.
 */
export class Decider {
  private readonly apiKeys: ReadonlyMap<string, ApiKeyAuthenticator>;

  constructor(private readonly snapshot: Snapshot) {
    this.apiKeys = apiKeyAuthenticators(snapshot);
  }

  decide(req: DecisionRequest): Decision {
    return decideWith(this.snapshot, this.apiKeys, req);
  }
}

/** One decision (builds the snapshot's API-key providers; use a Decider for many). */
export function decide(snapshot: Snapshot, req: DecisionRequest): Decision {
  return new Decider(snapshot).decide(req);
}

function decideWith(snapshot: Snapshot, apiKeys: ReadonlyMap<string, ApiKeyAuthenticator>, req: DecisionRequest): Decision {
  const headers = req.headers ?? {};
  const header = (name: string): string | undefined => headers[name];
  const method = req.method.toUpperCase();
  const base: Decision = {
    matched: false,
    status: 404,
    reason: "no route matches",
    route: null,
    upstream: null,
    fallback: [],
    auth: [],
    scopes: [],
    consumer: null,
    rateLimits: [],
    cacheable: false,
    trace: [],
  };
  // The data plane's own two steps (pipeline/route-decision.ts).
  const step = routeCandidates(snapshot, method, req.path.split("?")[0] ?? "");
  if (step.kind === "invalid") return { ...base, status: 400, reason: step.reason };
  const model = req.model ?? (typeof req.body?.model === "string" ? req.body.model : undefined);
  if (step.kind === "builtin") return builtinDecision(snapshot, apiKeys, step.name, step.path, method, req, header);

  const matchRequest: MatchRequest = { method, path: step.path, host: normalizeHost(header("host")), header, model };
  const { trace } = snapshot.router.explain(matchRequest);
  const selection = selectRoute(snapshot, step.candidates, matchRequest, { origin: header("origin"), requestMethod: header("access-control-request-method") });
  if (selection.kind === "none") return { ...base, reason: selection.message, trace };
  const route = selection.route;

  const identity = identify(snapshot, apiKeys, route, req);
  const consumer = identity === null ? undefined : consumerOf(identity, snapshot.consumers, defaultConsumers(snapshot));
  const decision: Decision = {
    ...base,
    matched: true,
    status: 200,
    reason: "forwarded",
    route,
    upstream: route.upstream ?? heaviest(route),
    fallback: route.fallback,
    auth: route.auth,
    scopes: route.scopes,
    consumer: consumer?.name ?? identity?.subject ?? null,
    trace,
    rateLimits: limitsFor(snapshot, route, consumer, identity, req, header),
    cacheable: isCacheable(route, req.body),
  };
  return authDecision(decision, route, identity, consumer, matchRequest);
}

/** The auth part of a decision: credentials, scopes, the model allow-list (the auth stage's own rules). */
function authDecision(decision: Decision, route: CompiledRoute, identity: Identity | null, consumer: Consumer | undefined, match: MatchRequest): Decision {
  if (route.auth.length > 0 && identity === null) return { ...decision, status: 401, reason: "no valid credentials for " + route.auth.join(" or ") };
  const missing = identity === null ? route.scopes : missingScopes(route.scopes, identity, consumer);
  if (missing.length > 0) return { ...decision, status: 403, reason: `missing scope ${missing.join(", ")}` };
  const refusal = modelRefusal(consumer, route.ai, match.method, match.path, match.model);
  if (refusal !== null) return { ...decision, status: 403, reason: refusal };
  return decision;
}

/** `GET /v1/models` and `GET /v1/usage`: behind any configured provider; usage needs credentials even without one. */
function builtinDecision(snapshot: Snapshot, apiKeys: ReadonlyMap<string, ApiKeyAuthenticator>, name: BuiltinName, path: string, method: string, req: DecisionRequest, header: (n: string) => string | undefined): Decision {
  const route = builtinRoute(name === "models" ? -1 : -2, `builtin:${name}`, path, [...snapshot.authProviders.keys()]);
  const identity = identify(snapshot, apiKeys, route, req);
  const consumer = identity === null ? undefined : consumerOf(identity, snapshot.consumers, defaultConsumers(snapshot));
  const decision: Decision = {
    matched: true,
    status: 200,
    reason: "answered by the gateway",
    route,
    upstream: null,
    fallback: [],
    auth: route.auth,
    scopes: [],
    consumer: consumer?.name ?? identity?.subject ?? null,
    rateLimits: limitsFor(snapshot, route, consumer, identity, req, header),
    cacheable: false,
    trace: [{ route: route.name, matched: true, reason: `the gateway answers GET ${path} itself (no route claims the exact path)` }],
  };
  if (name === "usage" && identity === null) return { ...decision, status: 401, reason: "this endpoint needs credentials" };
  return authDecision(decision, route, identity, consumer, { method, path, host: "", header, model: undefined });
}

/** The snapshot's API-key providers, as the data plane runs them. */
function apiKeyAuthenticators(snapshot: Snapshot): ReadonlyMap<string, ApiKeyAuthenticator> {
  const byName = new Map<string, ApiKeyAuthenticator>();
  for (const [n, p] of snapshot.authProviders) if (p.type === "apiKey") byName.set(n, new ApiKeyAuthenticator(p));
  return byName;
}

function defaultConsumers(snapshot: Snapshot): Map<string, string | undefined> {
  return new Map([...snapshot.authProviders].map(([n, p]) => [n, p.defaultConsumer]));
}

/**
 * Who the caller is, offline: a given consumer; an API key checked by the
 * data plane's own authenticator; or the claims of a JWT taken as verified
 * (signatures cannot be checked without the issuer's keys).
 */
function identify(snapshot: Snapshot, apiKeys: ReadonlyMap<string, ApiKeyAuthenticator>, route: CompiledRoute, req: DecisionRequest): Identity | null {
  if (req.consumer !== undefined) return { provider: null, subject: req.consumer, scopes: [], claims: req.claims ?? {} };
  const headers = req.headers ?? {};
  for (const name of route.auth) {
    const provider = snapshot.authProviders.get(name);
    if (provider === undefined) continue;
    if (provider.type === "apiKey") {
      const outcome = apiKeys.get(name)!.authenticate(headers);
      if (outcome.kind === "ok") return outcome.identity;
    } else if (req.claims !== undefined) {
      const subject = req.claims[provider.consumerClaim];
      if (typeof subject === "string") {
        return { provider: name, subject, scopes: scopesFromClaim(req.claims[provider.scopesClaim]), claims: req.claims };
      }
    }
  }
  return null;
}

function heaviest(route: CompiledRoute): string | null {
  const split = route.split ?? [];
  let best: { upstream: string; weight: number } | undefined;
  for (const s of split) if (best === undefined || s.weight > best.weight) best = s;
  return best?.upstream ?? null;
}

/** The policies the data plane checks (route, consumer, gateway: `policiesFor`), each with its resolved key. */
function limitsFor(
  snapshot: Snapshot,
  route: CompiledRoute,
  consumer: Consumer | undefined,
  identity: Identity | null,
  req: DecisionRequest,
  header: (n: string) => string | undefined,
): { policy: string; key: string }[] {
  return policiesFor(route, consumer, snapshot.gatewayRateLimits).map((policy) => {
    const kind = snapshot.policies.get(policy)!.key;
    return { policy, key: resolveKey(kind, route, consumer, identity, req, header) };
  });
}

function resolveKey(
  kind: string,
  route: CompiledRoute,
  consumer: Consumer | undefined,
  identity: Identity | null,
  req: DecisionRequest,
  header: (n: string) => string | undefined,
): string {
  if (kind === "consumer") {
    const who = consumer?.name ?? identity?.subject;
    return who === undefined ? "consumer" : `consumer:${who}`;
  }
  // The key the data plane counts on: an IPv6 client by its /64.
  if (kind === "ip") return req.ip === undefined ? "ip" : `ip:${clientSubnet(req.ip)}`;
  if (kind === "route") return `route:${route.name}`;
  if (kind === "global") return "global";
  if (kind.startsWith("header:")) {
    const name = kind.slice(7).toLowerCase();
    const value = header(name);
    if (value === undefined) return kind;
    return `${kind}:${sensitiveHeaders.has(name) ? redact(value) : value}`;
  }
  if (kind.startsWith("claim:")) {
    const value = identity?.claims[kind.slice(6)];
    return value === undefined ? kind : `${kind}:${String(value)}`;
  }
  return kind;
}

export { isCacheable } from "../cache/cacheable.js";
