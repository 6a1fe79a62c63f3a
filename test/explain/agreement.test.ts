import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, type DecisionRequest } from "../../src/explain/decide.js";
import type { Snapshot } from "../../src/compile/snapshot.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { snapshotOf } from "../helpers/build.js";
import { runCli } from "../helpers/io.js";

/**
 * One decision function (issue 24): random requests go through a real
 * gateway and through `decide` (what `aigw explain --format json` prints),
 * and the two agree on the route, the gateway's own answer (400, 401, 403,
 * 404, or forwarded) and the rate-limit policies in force. The example
 * configs are used as shipped, with three mechanical changes that leave
 * every decision input alone: upstreams point at a local fake (AI ones as
 * OpenAI-shaped), Redis state becomes in-memory, and each API-key provider
 * gets one known key per consumer (committed keys are hashes).
 * Plugins are outside the decision: an answer a plugin makes (ip_denied,
 * missing_header, …) counts as "forwarded past the decision".
 */

const root = join(__dirname, "../..");
const CONFIGS = ["gateway.yaml", "examples/multi-tenant.yaml", "examples/multi-provider.yaml", "examples/distributed.yaml", "examples/bedrock.yaml", "examples/plugins.yaml"];
const RUNS_PER_CONFIG = Math.ceil(2400 / CONFIGS.length);
const PLUGIN_CODES = new Set(["ip_denied", "cors_rejected", "missing_header", "payload_too_large", "schema_validation_failed", "prompt_blocked", "max_tokens_exceeded", "plugin_error", "invalid_body"]);
/** The codes of the gateway's own routing and auth decisions (anything else, the upstream or a later stage answered). */
const DECISION_CODES = new Set(["invalid_path", "route_not_found", "model_not_found", "missing_credentials", "invalid_credentials", "insufficient_scope", "model_not_allowed"]);

type Doc = Record<string, any>;

/** The example with its upstreams on the fake, in-memory state, and a known key for every consumer. */
function forTest(file: string, fakeUrl: string): { yaml: string; keys: string[]; models: string[]; paths: string[]; routePaths: string[]; hosts: string[] } {
  const doc = YAML.parse(readFileSync(join(root, file), "utf8")) as Doc;
  doc.server = { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 2000 }, ...(doc.server?.trustProxy === undefined ? {} : { trustProxy: doc.server.trustProxy }) };
  if (doc.state?.redis !== undefined) delete doc.state;
  const models = new Set<string>(["gpt-4o", "claude-3", "unknown-model"]);
  for (const u of doc.upstreams ?? []) {
    for (const m of u.models ?? []) models.add(m);
    if (u.type === "mock") continue;
    // Every AI type is AI to the decision; the fake answers in OpenAI's shape.
    const type = u.type === "http" ? "http" : "openai";
    const keep = { name: u.name, type, targets: [{ url: fakeUrl }], retries: { attempts: 0 }, ...(u.models === undefined ? {} : { models: u.models }) };
    for (const k of Object.keys(u)) delete u[k];
    Object.assign(u, keep);
  }
  const consumers: string[] = (doc.consumers ?? []).map((c: Doc) => c.name as string);
  const keys: string[] = [];
  for (const p of doc.auth ?? []) {
    if (p.type !== "apiKey") continue;
    for (const c of [...consumers, "nobody-declared"]) {
      const value = `sk-agree-${p.name}-${c}`;
      p.keys.push({ id: `agree-${c}`, consumer: c, value });
      keys.push(value);
    }
  }
  const paths = new Set<string>(["/", "/v1/models", "/v1/usage", "/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/files"]);
  const routePaths = new Set<string>();
  const hosts = new Set<string>(["localhost", "api.example.com"]);
  for (const r of doc.routes ?? []) {
    if (r.match?.path !== undefined) routePaths.add(r.match.path);
    if (r.match?.pathPrefix !== undefined) {
      routePaths.add(r.match.pathPrefix);
      routePaths.add(`${r.match.pathPrefix.replace(/\/$/, "")}/x`);
    }
    if (typeof r.match?.host === "string") hosts.add(r.match.host.replace("*.", "a."));
    if (typeof r.match?.model === "string") models.add(r.match.model.replace("*", "x"));
    for (const m of r.models ?? []) models.add(m.replace("*", "y"));
  }
  for (const c of doc.consumers ?? []) for (const m of c.models ?? []) models.add(m.replace("*", "z"));
  return { yaml: YAML.stringify(doc), keys, models: [...models], paths: [...paths], routePaths: [...routePaths], hosts: [...hosts] };
}

interface Answer {
  status: number;
  route: string | undefined;
  code: string | undefined;
  policies: string[] | undefined;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body: string | null): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: { code?: string } }).error?.code ?? undefined;
        } catch {
          code = undefined;
        }
        const policy = res.headers["ratelimit-policy"] as string | undefined;
        resolve({
          status: res.statusCode ?? 0,
          route: res.headers["x-aigw-route"] as string | undefined,
          code,
          policies: policy === undefined ? undefined : [...policy.matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
        });
      });
    });
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}

function seedOf(name: string): number {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

let fake: FakeUpstream;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  fake = await new FakeUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "x", object: "chat.completion", created: 1, model: "gpt-4o", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  }).start();
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake?.close();
});

describe.each(CONFIGS)("serve and explain agree on %s", (file) => {
  let gw: TestGateway;
  let snapshot: Snapshot;
  let setup: ReturnType<typeof forTest>;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    setup = forTest(file, fake.url);
    // Every variable the example references gets a value (secrets are not what is tested here).
    for (const m of setup.yaml.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1]!] = `sk-env-${m[1]!.toLowerCase()}`;
    const configFile = join(root, file.includes("/") ? "examples" : ".", "agreement-under-test.yaml");
    gw = await startTestGateway(setup.yaml, { env, file: configFile });
    gateways.push(gw);
    snapshot = snapshotOf(setup.yaml, env);
  });

  it(`over ${RUNS_PER_CONFIG} random requests: the route, the gateway's own answer, the limits`, async () => {
    // Weighted towards requests a route takes (a plain path, POST, a known key, a model), with the odd ones mixed in.
    const segment = fc.oneof({ weight: 8, arbitrary: fc.constant("") }, { weight: 2, arbitrary: fc.constantFrom("/", "//", "/x", ";a", "/..", "/%2e%2e", "%2F") });
    const requestArb = fc.record({
      method: fc.oneof({ weight: 6, arbitrary: fc.constant("POST") }, { weight: 3, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "OPTIONS") }),
      path: fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...setup.routePaths) }, { weight: 1, arbitrary: fc.constantFrom(...setup.paths) }), segment).map(([p, s]) => (s === "/" && p.endsWith("/") ? p : p + s) || "/"),
      host: fc.constantFrom(...setup.hosts),
      key: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...(setup.keys.length > 0 ? setup.keys : ["sk-none"])) }, { weight: 1, arbitrary: fc.constant("sk-wrong") }, { weight: 1, arbitrary: fc.constant(undefined) }),
      model: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...setup.models) }, { weight: 1, arbitrary: fc.constant(undefined) }),
      origin: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant("https://app.example.com") }),
    });
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const headers: Record<string, string> = { host: r.host };
        if (r.key !== undefined) headers.authorization = `Bearer ${r.key}`;
        if (r.origin !== undefined) {
          headers.origin = r.origin;
          headers["access-control-request-method"] = "POST";
        }
        const body = r.method === "GET" || r.method === "OPTIONS" ? null : JSON.stringify(r.model === undefined ? { messages: [] } : { model: r.model, messages: [{ role: "user", content: "hi" }] });
        if (body !== null) {
          headers["content-type"] = "application/json";
          headers["content-length"] = String(Buffer.byteLength(body)); // DELETE and friends are not chunked by default
        }
        const served = await send(gw.url, r.method, r.path, headers, body);
        const decisionRequest: DecisionRequest = { method: r.method, path: r.path, headers };
        if (body !== null && r.model !== undefined) decisionRequest.model = r.model;
        const d = decide(snapshot, decisionRequest);
        seen.set(`${d.status}`, (seen.get(`${d.status}`) ?? 0) + 1);
        const context = `${r.method} ${r.path} ${JSON.stringify(headers)} model=${r.model} → served ${JSON.stringify(served)}; explain ${d.status} ${d.route?.name} ${d.reason}`;

        if (PLUGIN_CODES.has(served.code ?? "")) return; // a plugin answered: outside the decision
        if (d.status === 400) expect(served.code, context).toBe("invalid_path");
        else if (d.status === 404) expect(served.status, context).toBe(404);
        else {
          expect(served.route, context).toBe(d.route!.name);
          if (d.status === 401) expect(served.status, context).toBe(401);
          else if (d.status === 403) expect(served.status, context).toBe(403);
          else {
            expect(DECISION_CODES.has(served.code ?? ""), context).toBe(false);
            // The policies in force (shadow ones are reported, not announced).
            if (served.policies !== undefined) {
              const enforced = d.rateLimits.map((l) => l.policy).filter((p) => snapshot.policies.get(p)!.mode === "enforce");
              expect(served.policies, context).toEqual(enforced);
            }
          }
        }
      }),
      // A seed per example, so a run is repeatable and the mix below never falls short by chance;
      // FC_SEED=<n> explores another one.
      { numRuns: RUNS_PER_CONFIG, seed: process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : seedOf(file) },
    );
    // The requests reached every kind of decision, not one kind 400 times.
    expect(seen.get("200") ?? 0, JSON.stringify(Object.fromEntries(seen))).toBeGreaterThan(10);
    expect(seen.get("404") ?? 0).toBeGreaterThan(10);
  }, 120_000);

  it("`aigw explain --format json` prints what decide() decides", async () => {
    // The config beside the example, so a plugin module it names resolves the same way.
    const path = join(root, file.includes("/") ? "examples" : ".", "agreement-under-test.yaml");
    const files = { [path]: setup.yaml };
    for (const p of [...setup.routePaths, ...setup.paths].slice(0, 8)) {
      const r = await runCli(["explain", path, "--method", "POST", "--path", p, "--format", "json"], { env, files });
      const json = JSON.parse(r.stdout) as { route: string | null; matched: boolean };
      const d = decide(snapshot, { method: "POST", path: p });
      expect(json.route).toBe(d.route?.name ?? null);
      expect(json.matched).toBe(d.matched);
    }
  });
});
