import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/io.js";

const FILE = "test/fixtures/explain/gateway.yaml";
/** Test keys whose sha256 the fixture holds (never real keys). */
const TEAM_A_KEY = "test-key-team-a";
const TEAM_B_KEY = "test-key-team-b";
const GHOST_KEY = "test-key-ghost";

interface Request {
  method: string;
  path: string;
  headers?: string[];
  model?: string;
  body?: string;
  consumer?: string;
}

interface Expect {
  /** Exit code; 0 unless told. */
  code?: number;
  route: string | null;
  upstream?: string | null;
  fallback?: string[];
  auth?: string[];
  scopes?: string[];
  rateLimits?: { policy: string; key: string }[];
  cacheable?: boolean;
  status?: number;
  /** The decision's reason (explain prints it next to `status`). */
  reason?: RegExp;
  consumer?: string | null;
  /** The trace entries before the chosen route (the candidates tried first), in order, with their reasons. */
  failedBefore?: [string, RegExp][];
}

interface ExplainJson {
  matched: boolean;
  route: string | null;
  upstream: string | null;
  fallback: string[];
  auth: string[];
  scopes: string[];
  rateLimits: { policy: string; key: string }[];
  cacheable: boolean;
  trace: { route: string; matched: boolean; reason: string }[];
  status?: number;
  reason?: string;
  consumer?: string | null;
}

function argv(req: Request, format: "json" | "text" = "json"): string[] {
  const args = ["explain", FILE, "--format", format, "--method", req.method, "--path", req.path];
  for (const h of req.headers ?? []) args.push("--header", h);
  if (req.model !== undefined) args.push("--model", req.model);
  if (req.body !== undefined) args.push("--body", req.body);
  if (req.consumer !== undefined) args.push("--consumer", req.consumer);
  return args;
}

async function explain(req: Request): Promise<{ code: number; out: ExplainJson; stderr: string }> {
  const r = await runCli(argv(req));
  return { code: r.code, out: JSON.parse(r.stdout) as ExplainJson, stderr: r.stderr };
}

const chat = "/v1/chat/completions";
const keyA = `x-api-key: ${TEAM_A_KEY}`;
const bearerA = `authorization: Bearer ${TEAM_A_KEY}`;
const keyB = `x-api-key: ${TEAM_B_KEY}`;
const temp0 = '{"temperature":0}';

const table: [string, Request, Expect][] = [
  [
    "gpt model with team-a's key, deterministic body",
    { method: "POST", path: chat, headers: [keyA], model: "gpt-4o", body: temp0 },
    {
      route: "chat-gpt",
      upstream: "openai",
      fallback: ["claude"],
      auth: ["keys", "corp"],
      scopes: ["chat"],
      rateLimits: [
        { policy: "per-route", key: "route:chat-gpt" },
        { policy: "per-consumer", key: "consumer:team-a" },
        { policy: "tpm", key: "consumer:team-a" },
        { policy: "global", key: "global" },
      ],
      cacheable: true,
      status: 200,
      consumer: "team-a",
    },
  ],
  [
    "gpt model with team-a's key as a bearer token, model from the body",
    { method: "POST", path: chat, headers: [bearerA], body: '{"model":"gpt-4o-mini","temperature":0,"n":1}' },
    { route: "chat-gpt", status: 200, consumer: "team-a", cacheable: true },
  ],
  [
    "a cached route without a body is not cacheable",
    { method: "POST", path: chat, headers: [keyA], model: "gpt-4o" },
    { route: "chat-gpt", cacheable: false, status: 200 },
  ],
  [
    "non-zero temperature is not cacheable",
    { method: "POST", path: chat, headers: [keyA], model: "gpt-4o", body: '{"temperature":0.7}' },
    { route: "chat-gpt", cacheable: false },
  ],
  [
    "n > 1 is not cacheable",
    { method: "POST", path: chat, headers: [keyA], model: "gpt-4o", body: '{"temperature":0,"n":2}' },
    { route: "chat-gpt", cacheable: false },
  ],
  [
    "no credentials on an auth route: 401, limits keyed by kind",
    { method: "POST", path: chat, model: "gpt-4o" },
    {
      route: "chat-gpt",
      status: 401,
      auth: ["keys", "corp"],
      consumer: null,
      rateLimits: [
        { policy: "per-route", key: "route:chat-gpt" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "a wrong key is no credential: 401",
    { method: "POST", path: chat, headers: ["x-api-key: not-a-key"], model: "gpt-4o" },
    { route: "chat-gpt", status: 401 },
  ],
  [
    "claude model passes over chat-gpt",
    { method: "POST", path: chat, headers: [bearerA], model: "claude-sonnet-4-5" },
    {
      route: "chat-claude",
      upstream: "claude",
      fallback: ["openai", "mock"],
      auth: ["keys"],
      scopes: ["chat"],
      status: 200,
      rateLimits: [
        { policy: "per-consumer", key: "consumer:team-a" },
        { policy: "tpm", key: "consumer:team-a" },
        { policy: "global", key: "global" },
      ],
      failedBefore: [["chat-gpt", /model "claude-sonnet-4-5" does not match "gpt-\*"/]],
    },
  ],
  [
    "the second glob of a route's model list; outside team-a's allow-list: 403",
    { method: "POST", path: chat, headers: [keyA], model: "sonnet-4" },
    { route: "chat-claude", status: 403, reason: /team-a may not use model sonnet-4/, consumer: "team-a" },
  ],
  [
    "team-b lacks the chat scope: 403",
    { method: "POST", path: chat, headers: [keyB], model: "claude-sonnet-4-5" },
    {
      route: "chat-claude",
      status: 403,
      reason: /missing scope chat/,
      consumer: "team-b",
      rateLimits: [
        { policy: "per-consumer", key: "consumer:team-b" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "another model goes to the public default",
    { method: "POST", path: chat, model: "llama3" },
    {
      route: "chat-default",
      upstream: "mock",
      fallback: [],
      auth: [],
      scopes: [],
      status: 200,
      cacheable: false,
      rateLimits: [{ policy: "global", key: "global" }],
      failedBefore: [
        ["chat-gpt", /model "llama3" does not match "gpt-\*"/],
        ["chat-claude", /model "llama3" does not match/],
      ],
    },
  ],
  [
    "no model at all goes to the public default",
    { method: "POST", path: chat },
    {
      route: "chat-default",
      failedBefore: [
        ["chat-gpt", /names no model/],
        ["chat-claude", /names no model/],
      ],
    },
  ],
  [
    "a consumer outside its model allow-list: 403",
    { method: "POST", path: chat, model: "llama3", consumer: "team-a" },
    {
      route: "chat-default",
      status: 403,
      reason: /may not use model llama3/,
      consumer: "team-a",
      rateLimits: [
        { policy: "per-consumer", key: "consumer:team-a" },
        { policy: "tpm", key: "consumer:team-a" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "GET on the chat path falls through every exact route to a GET prefix",
    { method: "GET", path: chat },
    {
      route: "v1-other",
      upstream: "mock",
      failedBefore: [
        ["chat-gpt", /method GET is not one of POST/],
        ["chat-claude", /method GET is not one of POST/],
        ["chat-default", /method GET is not one of POST/],
        ["beta", /header x-beta is missing/],
      ],
    },
  ],
  [
    "an exact path beats a prefix written before it",
    { method: "POST", path: chat, headers: ["x-beta: on", keyA], model: "gpt-4o" },
    { route: "chat-gpt", status: 200 },
  ],
  [
    "a header-matched prefix takes what the exact routes refuse; consumer key by kind",
    { method: "DELETE", path: chat, headers: ["x-beta: on"] },
    {
      route: "beta",
      upstream: "mock",
      rateLimits: [
        { policy: "per-consumer", key: "consumer" },
        { policy: "global", key: "global" },
      ],
      failedBefore: [
        ["chat-gpt", /method DELETE is not one of POST/],
        ["chat-claude", /method DELETE/],
        ["chat-default", /method DELETE/],
      ],
    },
  ],
  [
    "a named consumer: route and consumer policies keyed by it, a policy named twice counted once",
    { method: "DELETE", path: chat, headers: ["x-beta: on"], consumer: "team-b" },
    {
      route: "beta",
      consumer: "team-b",
      rateLimits: [
        { policy: "per-consumer", key: "consumer:team-b" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "an undeclared consumer gets no consumer policies but its own key",
    { method: "DELETE", path: chat, headers: ["x-beta: on"], consumer: "ghost" },
    {
      route: "beta",
      consumer: "ghost",
      rateLimits: [
        { policy: "per-consumer", key: "consumer:ghost" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "the header value is a glob: a different value fails",
    { method: "DELETE", path: chat, headers: ["x-beta: off"] },
    { code: 1, route: null, status: 404 },
  ],
  [
    "a split: the heaviest upstream, cache.force makes it cacheable",
    { method: "POST", path: "/v1/embeddings", headers: [keyB] },
    {
      route: "embeddings",
      upstream: "openai",
      fallback: [],
      auth: ["keys"],
      scopes: ["embeddings"],
      cacheable: true,
      status: 200,
      consumer: "team-b",
      rateLimits: [
        { policy: "per-consumer", key: "consumer:team-b" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "embeddings without a key: 401",
    { method: "POST", path: "/v1/embeddings" },
    { route: "embeddings", status: 401, reason: /no valid credentials for keys/ },
  ],
  [
    "a key whose consumer is not declared has no consumer scopes: 403",
    { method: "POST", path: "/v1/embeddings", headers: [`x-api-key: ${GHOST_KEY}`] },
    { route: "embeddings", status: 403, reason: /missing scope embeddings/, consumer: "ghost" },
  ],
  ["GET /v1/models", { method: "GET", path: "/v1/models" }, { route: "models", upstream: "mock", auth: [], status: 200 }],
  ["HEAD /v1/models", { method: "HEAD", path: "/v1/models" }, { route: "models" }],
  [
    "a jwt route without a token: 401",
    { method: "GET", path: "/v1/reports" },
    { route: "reports", auth: ["corp"], scopes: ["reports"], status: 401, reason: /no valid credentials for corp/ },
  ],
  [
    "a jwt route with a known consumer holding the scope",
    { method: "GET", path: "/v1/reports", consumer: "team-a" },
    { route: "reports", status: 200, consumer: "team-a" },
  ],
  [
    "a jwt route with a consumer missing the scope: 403",
    { method: "GET", path: "/v1/reports", consumer: "team-b" },
    { route: "reports", status: 403, reason: /missing scope reports/ },
  ],
  [
    "host wildcard *.example.com; ip limit without an address is keyed by kind",
    { method: "GET", path: "/v1/analytics/events", headers: ["host: api.example.com"] },
    {
      route: "analytics-public",
      upstream: "analytics-svc",
      rateLimits: [
        { policy: "per-ip", key: "ip" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "host matching ignores case and port",
    { method: "GET", path: "/v1/analytics/events", headers: ["Host: API.Example.COM:8443"] },
    { route: "analytics-public" },
  ],
  [
    "host prefix internal.*",
    { method: "GET", path: "/v1/analytics/events", headers: ["host: internal.corp"] },
    {
      route: "analytics-internal",
      failedBefore: [["analytics-public", /host "internal\.corp" does not match "\*\.example\.com"/]],
    },
  ],
  [
    "no host matches: a shorter prefix takes it",
    { method: "GET", path: "/v1/analytics/events", headers: ["host: other.net"] },
    {
      route: "v1-other",
      failedBefore: [
        ["analytics-public", /host "other\.net"/],
        ["analytics-internal", /host "other\.net" does not match "internal\.\*"/],
        ["beta", /header x-beta is missing/],
      ],
    },
  ],
  [
    "prefixes match at segment boundaries",
    { method: "GET", path: "/v1/analyticsx", headers: ["host: api.example.com"] },
    { route: "v1-other" },
  ],
  [
    "POST with nothing but GET prefixes left: no route",
    { method: "POST", path: "/v1/analytics/x", headers: ["host: example.com"] },
    { code: 1, route: null, status: 404 },
  ],
  [
    "header-keyed limit resolves to the header's value",
    { method: "GET", path: "/v1/tenants/acme/usage", headers: ["x-tenant: acme"] },
    {
      route: "tenants",
      upstream: "legacy-svc",
      rateLimits: [
        { policy: "per-tenant", key: "header:x-tenant:acme" },
        { policy: "global", key: "global" },
      ],
    },
  ],
  [
    "a missing header condition passes to a shorter prefix",
    { method: "GET", path: "/v1/tenants/acme" },
    {
      route: "v1-other",
      failedBefore: [
        ["tenants", /header x-tenant is missing/],
        ["beta", /header x-beta is missing/],
      ],
    },
  ],
  [
    "dot segments are removed before matching",
    { method: "GET", path: "/legacy/x/../../v1/models" },
    { route: "models" },
  ],
  [
    "encoded unreserved characters are decoded before matching",
    { method: "GET", path: "/v1/%6Dodels" },
    { route: "models" },
  ],
  ["the query is not part of the path", { method: "GET", path: "/v1/models?limit=5" }, { route: "models" }],
  ["HEAD on a prefix route", { method: "HEAD", path: "/legacy/page" }, { route: "legacy", upstream: "legacy-svc" }],
  ["GET /legacyx is not under /legacy", { method: "GET", path: "/legacyx" }, { route: "root" }],
  ["GET / takes the root prefix", { method: "GET", path: "/" }, { route: "root" }],
  ["POST under /legacy: no route", { method: "POST", path: "/legacy/page" }, { code: 1, route: null, status: 404 }],
  [
    "a lower-case method is upper-cased",
    { method: "post", path: chat, headers: [keyA], model: "gpt-4o" },
    { route: "chat-gpt", status: 200 },
  ],
];

describe("aigw explain --format json", () => {
  it("has at least 25 requests in its table", () => {
    expect(table.length).toBeGreaterThanOrEqual(25);
  });

  it.each(table)("%s", async (_name, req, want) => {
    const { code, out, stderr } = await explain(req);
    expect(stderr).toBe("");
    expect(code).toBe(want.code ?? 0);
    expect(out.matched).toBe(want.route !== null);
    expect(out.route).toBe(want.route);
    if (want.upstream !== undefined) expect(out.upstream).toBe(want.upstream);
    if (want.fallback !== undefined) expect(out.fallback).toEqual(want.fallback);
    if (want.auth !== undefined) expect(out.auth).toEqual(want.auth);
    if (want.scopes !== undefined) expect(out.scopes).toEqual(want.scopes);
    if (want.rateLimits !== undefined) expect(out.rateLimits).toEqual(want.rateLimits);
    if (want.cacheable !== undefined) expect(out.cacheable).toBe(want.cacheable);
    if (want.status !== undefined) expect(out.status).toBe(want.status);
    if (want.reason !== undefined) expect(out.reason).toMatch(want.reason);
    if (want.consumer !== undefined) expect(out.consumer).toBe(want.consumer);

    // The trace: exactly one entry matched (the chosen route), or none.
    const matchedEntries = out.trace.filter((t) => t.matched);
    if (want.route === null) expect(matchedEntries).toEqual([]);
    else expect(matchedEntries.map((t) => t.route)).toEqual([want.route]);
    if (want.failedBefore !== undefined) {
      const chosenAt = out.trace.findIndex((t) => t.matched);
      const before = out.trace.slice(0, chosenAt);
      // Every candidate tried before the chosen route, in order, each with its reason.
      expect(before.map((t) => t.route)).toEqual(want.failedBefore.map(([r]) => r));
      want.failedBefore.forEach(([routeName, reason], i) => {
        expect(before[i]).toMatchObject({ route: routeName, matched: false });
        expect(before[i]!.reason).toMatch(reason);
      });
    }
  });

  it("prints the documented shape (DESIGN.md 10)", async () => {
    const { out } = await explain({ method: "POST", path: chat, headers: [keyA], model: "gpt-4o", body: temp0 });
    expect(out).toMatchObject({
      matched: true,
      route: expect.any(String),
      upstream: expect.any(String),
      fallback: expect.any(Array),
      auth: expect.any(Array),
      scopes: expect.any(Array),
      rateLimits: expect.any(Array),
      cacheable: expect.any(Boolean),
      trace: expect.any(Array),
    });
    for (const l of out.rateLimits) expect(Object.keys(l).sort()).toEqual(["key", "policy"]);
    for (const t of out.trace) {
      expect(t).toEqual({ route: expect.any(String), matched: expect.any(Boolean), reason: expect.any(String) });
    }
    for (const s of [...out.fallback, ...out.auth, ...out.scopes]) expect(typeof s).toBe("string");
  });

  it("lists every route in the trace: the candidates in the order tried, then the rest", async () => {
    const { out } = await explain({ method: "GET", path: chat });
    expect(out.trace.map((t) => t.route).slice(0, 6)).toEqual(["chat-gpt", "chat-claude", "chat-default", "beta", "v1-other", "root"]);
    expect(out.trace[5]).toMatchObject({ route: "root", matched: false, reason: expect.stringMatching(/not tried/) });
    expect(new Set(out.trace.map((t) => t.route)).size).toBe(13);
    const embeddings = out.trace.find((t) => t.route === "embeddings");
    expect(embeddings).toMatchObject({ matched: false, reason: expect.stringMatching(/is not \/v1\/embeddings/) });
  });

  it("no route: exit 1, matched false, route and upstream null", async () => {
    const { code, out } = await explain({ method: "PUT", path: "/nowhere" });
    expect(code).toBe(1);
    expect(out).toMatchObject({ matched: false, route: null, upstream: null, fallback: [], auth: [], rateLimits: [], cacheable: false });
    expect(out.trace.length).toBe(13);
    expect(out.trace.every((t) => !t.matched)).toBe(true);
  });

  it.each(["/a%2Fb", "/v1/chat%2fcompletions", "/a%5Cb", "/a\\b", "/a%00", "/a%zz"])("an invalid path %j: matched false, status 400", async (path) => {
    const { code, out, stderr } = await explain({ method: "GET", path });
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(out).toMatchObject({ matched: false, route: null, status: 400 });
  });
});

describe("aigw explain --format text", () => {
  it("names the route and marks it with ✓", async () => {
    const r = await runCli(argv({ method: "POST", path: chat, headers: [keyA], model: "gpt-4o", body: temp0 }, "text"));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("chat-gpt");
    expect(r.stdout).toMatch(/^\s*✓ chat-gpt\s+path is exactly \/v1\/chat\/completions/m);
    expect(r.stdout).toMatch(/^route\s+chat-gpt \(test\/fixtures\/explain\/gateway\.yaml:\d+\)$/m);
    expect(r.stdout).toMatch(/consumer:team-a/);
    expect(r.stdout).not.toContain(TEAM_A_KEY);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it("no route: exit 1 and a 'no route' line", async () => {
    const r = await runCli(argv({ method: "PUT", path: "/nowhere" }, "text"));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no route: 404/);
    expect(r.stdout).not.toContain("✓");
  });
});

describe("aigw explain usage errors", () => {
  it("a malformed --header is a usage error on stderr", async () => {
    const r = await runCli(["explain", FILE, "--path", "/", "--header", "no-colon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--header/);
  });

  it("a --body that is not a JSON object is a usage error", async () => {
    const r = await runCli(["explain", FILE, "--path", "/", "--body", "[1]"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--body/);
  });
});
