import YAML from "yaml";
import { planConfigs } from "../../src/plan/plan.js";
import type { Change, PlanResult } from "../../src/plan/diff.js";
import { build } from "./build.js";

/** Test configs for diff and plan, as data: mutate a copy, dump to YAML. */
export type Config = Record<string, any>;

/** One of each object kind; secrets from the environment; listeners on port 0 so a live gateway can run it. */
export function baseConfig(): Config {
  return {
    version: 1,
    server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 2000 } },
    auth: [
      {
        name: "keys",
        type: "apiKey",
        keys: [
          { id: "acme-1", consumer: "acme", value: "${ACME_KEY}" },
          { id: "beta-1", consumer: "beta", sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
        ],
      },
      {
        name: "corp",
        type: "jwt",
        issuer: "https://auth.example.com/",
        audience: "aigw",
        algorithms: ["RS256"],
        jwks: { url: "https://auth.example.com/.well-known/jwks.json" },
      },
    ],
    consumers: [
      { name: "acme", scopes: ["chat"], rateLimits: ["tpm"], budget: { usd: 100, period: "month" } },
      { name: "beta", rateLimits: ["rpm"] },
    ],
    rateLimits: [
      { name: "rpm", algorithm: "token_bucket", limit: 100, window: "1m", key: "consumer" },
      { name: "tpm", algorithm: "sliding_window", limit: 100000, window: "1m", key: "consumer", cost: "tokens" },
      { name: "global", limit: 5000, window: "1s", key: "global" },
    ],
    gateway: { rateLimits: ["global"], plugins: [{ name: "request-size", config: { maxBytes: 1048576 } }] },
    upstreams: [
      {
        name: "openai",
        type: "openai",
        targets: [{ url: "https://api.openai.com" }],
        credentials: { apiKey: "${OPENAI_API_KEY}" },
        models: ["gpt-4o", "gpt-4o-mini"],
      },
      {
        name: "claude",
        type: "anthropic",
        targets: [{ url: "https://api.anthropic.com" }],
        credentials: { apiKey: "${ANTHROPIC_API_KEY}" },
        models: ["claude-sonnet-4-5"],
      },
      { name: "svc", type: "http", targets: [{ url: "http://svc-1.internal:8080" }, { url: "http://svc-2.internal:8080" }] },
    ],
    routes: [
      {
        name: "chat",
        match: { path: "/v1/chat/completions", methods: ["POST"], model: "gpt-4o*" },
        auth: ["keys", "corp"],
        scopes: ["chat"],
        rateLimits: ["rpm"],
        upstream: "openai",
        timeoutMs: 60000,
      },
      {
        name: "svc",
        match: { pathPrefix: "/v1/svc", methods: ["GET", "POST"], host: "api.example.com", headers: { "x-team": "analytics" } },
        auth: ["keys"],
        upstream: "svc",
        plugins: [{ name: "request-headers", config: { set: { "x-team": "analytics" } } }],
      },
    ],
    pricing: [
      { model: "gpt-4o*", input: 2.5, output: 10 },
      { model: "claude-sonnet-4-5*", input: 3, output: 15 },
    ],
  };
}

export function toYaml(config: Config): string {
  return YAML.stringify(config);
}

/** A copy of the base config changed by `edit`. */
export function edited(edit: (c: Config) => void, from: Config = baseConfig()): Config {
  const c = structuredClone(from);
  edit(c);
  return c;
}

export function canonicalOf(config: Config, env: Record<string, string> = {}): Record<string, unknown> {
  const result = build(toYaml(config), { env });
  if (result.snapshot === undefined) {
    throw new Error("config invalid:\n" + result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join("\n"));
  }
  return result.snapshot.canonical as Record<string, unknown>;
}

/** The plan (with consequences) from `before` to `after`. */
export function planOf(before: Config, after: Config, env: Record<string, string> = {}): PlanResult {
  return planConfigs(canonicalOf(before, env), canonicalOf(after, env), { impact: true });
}

export function only(result: PlanResult, kind: string, name: string): Change {
  const found = result.changes.filter((c) => c.kind === kind && c.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, got:\n${JSON.stringify(result.changes, null, 2)}`);
  return found[0]!;
}
