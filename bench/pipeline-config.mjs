// The gateway config of the focused full-path benches (bench/ab.mjs,
// bench/routes.mjs): API-key auth, a token bucket per consumer (in memory),
// metrics and access log on, a plain http route and two OpenAI routes picked
// by the body's `model`, then `filler` routes that never match.
import { createHash } from "node:crypto";

export const KEY = "sk-bench-pipeline-00000000000001";
export const PATH = "/v1/chat/completions";

const chat = { model: "gpt-4o-mini", messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "Say hello to the benchmark." }] };
export const BODIES = { json: JSON.stringify(chat), sse: JSON.stringify({ ...chat, stream: true }) };

/** A gateway config: the measured routes first, then `filler` routes that never match. */
export function gatewayYaml(upstream, filler) {
  const lines = [
    "version: 1",
    'server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }',
    "observability: { logs: { level: info, accessLog: true }, metrics: { enabled: true } }",
    "auth:",
    "  - name: keys",
    "    type: apiKey",
    `    keys: [{ id: bench, consumer: team-a, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }]`,
    "consumers: [{ name: team-a, rateLimits: [per-consumer] }]",
    "rateLimits:",
    "  - { name: per-consumer, algorithm: token_bucket, limit: 1000000000, window: 1s, key: consumer }",
    "upstreams:",
    `  - { name: fake, type: http, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }`,
    `  - { name: ai, type: openai, targets: [{ url: "${upstream}" }], pool: { connections: 128 } }`,
    "routes:",
    "  - { name: plain, match: { path: /plain/v1/chat/completions, methods: [POST] }, auth: [keys], upstream: fake, rewrite: { stripPrefix: /plain } }",
    `  - { name: chat-gpt, match: { path: ${PATH}, methods: [POST], model: "gpt-4o*" }, auth: [keys], upstream: ai }`,
    `  - { name: chat-other, match: { path: ${PATH}, methods: [POST] }, auth: [keys], upstream: ai }`,
  ];
  for (let i = 0; i < filler; i++) {
    // Exact paths, prefixes and method-only routes, as a large config has them.
    if (i % 3 === 0) lines.push(`  - { name: svc-${i}, match: { path: /svc${i}/v1/items }, upstream: fake }`);
    else if (i % 3 === 1) lines.push(`  - { name: team-${i}, match: { pathPrefix: /team${i}/api }, upstream: fake, rewrite: { stripPrefix: /team${i} } }`);
    else lines.push(`  - { name: admin-${i}, match: { path: /svc${i}/admin, methods: [GET, DELETE] }, upstream: fake }`);
  }
  return lines.join("\n") + "\n";
}

