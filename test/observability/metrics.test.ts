import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeOpenAI } from "../helpers/fake-openai.js";
import { closedPort, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { sample } from "../helpers/prometheus.js";

const KEY = "sk-metrics-team-a-0000000000001";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

let openai: FakeUpstream;
let gw: TestGateway;

const chat = (body: Record<string, unknown>, key: string | null = KEY) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });

beforeAll(async () => {
  openai = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
  const down = await closedPort();
  gw = await startTestGateway(`version: 1
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "${sha(KEY)}" }]
consumers:
  - { name: team-a }
rateLimits:
  - { name: three, algorithm: fixed_window, limit: 3, window: 1m, key: consumer }
upstreams:
  - { name: openai, type: openai, targets: [{ url: "${openai.url}" }], circuitBreaker: { failureRatio: 0.5, minRequests: 20 } }
  - { name: down, type: openai, targets: [{ url: "http://127.0.0.1:${down}" }], retries: { attempts: 0 } }
routes:
  - { name: chat, match: { path: /v1/chat/completions, model: "gpt-*" }, auth: [keys], upstream: openai }
  - { name: limited, match: { path: /v1/chat/completions, model: "limited-*" }, auth: [keys], rateLimits: [three], upstream: openai }
  - { name: cached, match: { path: /v1/chat/completions, model: "cached-*" }, auth: [keys], upstream: openai, cache: { ttl: 1m } }
  - { name: resilient, match: { path: /v1/chat/completions, model: "resilient-*" }, auth: [keys], upstream: down, fallback: [openai] }
pricing:
  - { model: "gpt-4o*", input: 2.5, output: 10 }
`);
});

afterAll(async () => {
  await gw?.close();
  await openai?.close();
});

describe("/metrics after a scripted traffic mix", () => {
  it("has every metric of DESIGN.md 8 with the expected labels and counts", async () => {
    for (let i = 0; i < 3; i++) expect((await chat({ model: "gpt-4o" })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await chat({ model: "gpt-4o", stream: true, stream_options: { include_usage: true } });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect((await chat({ model: "gpt-4o" }, "sk-wrong-key-0000000000000000")).status).toBe(401);
    expect((await chat({ model: "gpt-4o" }, null)).status).toBe(401);
    const limited = [];
    for (let i = 0; i < 4; i++) limited.push((await chat({ model: "limited-1" })).status);
    expect(limited).toEqual([200, 200, 200, 429]);
    for (let i = 0; i < 2; i++) expect((await chat({ model: "cached-1", temperature: 0 })).status).toBe(200);
    expect((await chat({ model: "resilient-1" })).status).toBe(200);

    const res = await fetch(`${gw.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();

    // Requests, by route and status class; durations.
    expect(sample(text, "aigw_http_requests_total", { route: "chat", method: "POST", status_class: "2xx" })).toBe(5);
    expect(sample(text, "aigw_http_requests_total", { route: "chat", method: "POST", status_class: "4xx" })).toBe(2);
    expect(sample(text, "aigw_http_requests_total", { route: "limited", status_class: "2xx" })).toBe(3);
    expect(sample(text, "aigw_http_requests_total", { route: "limited", status_class: "4xx" })).toBe(1);
    expect(sample(text, "aigw_http_request_duration_seconds_count", { route: "chat" })).toBe(7);
    expect(sample(text, "aigw_http_request_duration_seconds_bucket", { route: "chat", le: "+Inf" })).toBe(7);

    // Upstream attempts: every one counted (the refused one too), with durations.
    expect(sample(text, "aigw_upstream_requests_total", { upstream: "openai", target: openai.url, status_class: "2xx" })).toBe(5 + 3 + 1 + 1);
    expect(sample(text, "aigw_upstream_requests_total", { upstream: "down", status_class: "error" })).toBe(1);
    expect(sample(text, "aigw_upstream_duration_seconds_count", { upstream: "openai" })).toBe(10);
    expect(sample(text, "aigw_upstream_duration_seconds_count", { upstream: "down" })).toBe(1);

    // Streams: time to first token, and none left open.
    expect(sample(text, "aigw_time_to_first_token_seconds_count", { upstream: "openai", model: "gpt-4o*" })).toBe(2);
    expect(sample(text, "aigw_active_streams")).toBe(0);
    expect(sample(text, "aigw_requests_in_flight")).toBe(0);

    // Tokens and cost by the pricing pattern; unpriced models apart.
    expect(sample(text, "aigw_tokens_total", { type: "input", model: "gpt-4o*" })).toBe(500);
    expect(sample(text, "aigw_tokens_total", { type: "output", model: "gpt-4o*" })).toBe(100);
    expect(sample(text, "aigw_tokens_total", { type: "input", model: "unpriced" })).toBe(100 * (3 + 1 + 1));
    expect(sample(text, "aigw_cost_usd_total", { model: "gpt-4o*" })).toBeCloseTo((500 * 2.5 + 100 * 10) / 1e6, 10);

    // Auth failures, rate-limit hits, cache.
    expect(sample(text, "aigw_auth_failures_total", { provider: "keys", reason: "unknown_key" })).toBe(1);
    expect(sample(text, "aigw_auth_failures_total", { provider: "none", reason: "missing" })).toBe(1);
    expect(sample(text, "aigw_rate_limit_hits_total", { policy: "three", mode: "enforce" })).toBe(1);
    expect(sample(text, "aigw_cache_misses_total", { route: "cached" })).toBe(1);
    expect(sample(text, "aigw_cache_hits_total", { route: "cached" })).toBe(1);

    // Breakers (0 = closed) and the config in force.
    expect(sample(text, "aigw_circuit_breaker_state", { upstream: "openai", target: openai.url })).toBe(0);
    const hash = String(((await (await fetch(`${gw.adminUrl}/admin/config`)).json()) as { hash: string }).hash);
    expect(sample(text, "aigw_config_info", { hash: hash.replace(/^sha256:/, "").slice(0, 12) })).toBe(1);

    // Bounded labels: no raw paths, consumers or request ids anywhere.
    expect(text).not.toContain("team-a");
    expect(text).not.toContain("/v1/chat/completions");
    expect(text).not.toContain(KEY);
  });
});

describe("the Grafana dashboard", () => {
  it("parses and queries only metrics the gateway exports", async () => {
    const { readFileSync } = await import("node:fs");
    const { GatewayMetrics } = await import("../../src/observability/metrics.js");
    const dashboard = JSON.parse(readFileSync(new URL("../../charts/aigw/dashboards/aigw.json", import.meta.url), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exported = new Set((await new GatewayMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const histogramSeries = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets) for (const m of t.expr.matchAll(/\b(aigw_[a-z0-9_]+)/g)) used.add(m[1]!);
    }
    for (const name of used) expect(exported.has(name) || exported.has(histogramSeries(name)), `${name} is not exported`).toBe(true);
    // Every metric of DESIGN.md 8 has a panel.
    for (const name of ["http_requests_total", "http_request_duration_seconds", "upstream_requests_total", "rate_limit_hits_total", "auth_failures_total", "tokens_total", "cost_usd_total", "circuit_breaker_state", "cache_hits_total", "cache_misses_total", "config_reloads_total", "config_info", "active_streams"]) {
      expect([...used].some((u) => histogramSeries(u) === `aigw_${name}`), name).toBe(true);
    }
  });
});
