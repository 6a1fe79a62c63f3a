import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotOf } from "../helpers/build.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";
import { logLines } from "../helpers/until.js";
import { parseAccessLog, recordedOutcome, replay } from "../../src/routing-tests/replay.js";

/** The config the log is recorded with. `svc` is a real HTTP upstream, filled in at start. */
const recorded = (svc: string): string => `version: 1
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "88679f793f921fe3a5ebd6bdde335cba5521ae73ba2c3fbfc3515f0bde6642ce" }]
upstreams:
  - { name: mock-a, type: mock }
  - { name: mock-b, type: mock }
  - { name: svc, type: http, targets: [{ url: "${svc}" }] }
routes:
  - name: chat-small
    match: { path: /v1/chat/completions, methods: [POST], model: "mock-1-mini" }
    upstream: mock-a
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: mock-a
  - name: embeddings
    match: { path: /v1/embeddings, methods: [POST] }
    auth: [keys]
    upstream: mock-a
  - name: legacy
    match: { pathPrefix: /legacy }
    upstream: svc
`;

/**
 * The proposed change: mock-1 moves to a new route on mock-b, embeddings
 * move to mock-b, legacy is removed, /nope gets a route, chat-small gets auth.
 */
const proposed = `version: 1
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "88679f793f921fe3a5ebd6bdde335cba5521ae73ba2c3fbfc3515f0bde6642ce" }]
upstreams:
  - { name: mock-a, type: mock }
  - { name: mock-b, type: mock }
routes:
  - name: chat-v2
    match: { path: /v1/chat/completions, methods: [POST], model: "mock-1" }
    upstream: mock-b
  - name: chat-small
    match: { path: /v1/chat/completions, methods: [POST], model: "mock-1-mini" }
    auth: [keys]
    upstream: mock-a
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: mock-a
  - name: embeddings
    match: { path: /v1/embeddings, methods: [POST] }
    auth: [keys]
    upstream: mock-b
  - name: nope
    match: { pathPrefix: /nope }
    upstream: mock-a
`;

let svc: FakeUpstream;
let recordedYaml: string;
let log: string;
let accessLines: Record<string, unknown>[];

/**
 * Records an access log from a real gateway: 4× mock-1, 1× mock-1-mini, 3×
 * embeddings with team-a's key and 1× without (401), 2× legacy, 2× 404, 1× 400.
 */
beforeAll(async () => {
  svc = await new FakeUpstream().start();
  recordedYaml = recorded(svc.url);
  const gw = await startTestGateway(recordedYaml);
  try {
    const chat = (model: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      });
    const sent: Promise<Response>[] = [];
    for (let i = 0; i < 4; i++) sent.push(chat("mock-1"));
    sent.push(chat("mock-1-mini"));
    const embed = (headers: Record<string, string>) =>
      fetch(`${gw.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"model":"mock-1","input":"x"}' });
    for (let i = 0; i < 3; i++) sent.push(embed({ authorization: "Bearer test-key-team-a" }));
    sent.push(embed({}));
    sent.push(fetch(`${gw.url}/legacy/a`), fetch(`${gw.url}/legacy/b?x=1`), fetch(`${gw.url}/nope`), fetch(`${gw.url}/nope/deeper`), fetch(`${gw.url}/a%2Fb`));
    const statuses = await Promise.all(sent.map(async (p) => (await p.then(async (r) => (await r.text(), r.status)))));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 401, 200, 200, 404, 404, 400]);
    await logLines(gw.logs, (l) => l.type === "access", 14, "access lines", 5000);
  } finally {
    await gw.close();
  }
  accessLines = gw.logs.filter((l) => l.type === "access");
  expect(accessLines).toHaveLength(14);
  expect(accessLines.filter((l) => l.consumer === "team-a")).toHaveLength(3);
  // The log as `kubectl logs` gives it: access lines mixed with others, and a torn line.
  log = [...gw.logs.map((l) => JSON.stringify(l)), '{"type":"access","method":"GET"', "not json"].join("\n") + "\n";
});

afterAll(async () => {
  await svc.close();
});

interface ReplayJson {
  ok: boolean;
  summary: { requests: number; same: number; different: number; skipped: { notAccess: number; malformed: number; undecided: number } };
  differences: { kind: string; message: string; count: number; from: Record<string, unknown>; to: Record<string, unknown>; examples: { line: number; method: string; path: string; model: string | null }[] }[];
  notes: { kind: string; message: string; count: number }[];
}

describe("aigw replay", () => {
  it("reports nothing for the config the log was recorded with (exit 0)", async () => {
    const r = await runCli(["replay", "gateway.yaml", "access.jsonl"], { files: { "gateway.yaml": recordedYaml, "access.jsonl": log } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Replayed 14 requests from access.jsonl through gateway.yaml");
    expect(r.stdout).toContain("no differences: every request would be decided as it was");
    expect(r.stdout).toMatch(/Skipped \d+ lines: \d+ not access lines, 2 malformed/);
  });

  it("reports the routes a changed config would send elsewhere, grouped with counts (exit 1)", async () => {
    const r = await runCli(["replay", "proposed.yaml", "access.jsonl"], { files: { "proposed.yaml": proposed, "access.jsonl": log } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("12 requests would be decided differently, 2 the same:");
    expect(r.stdout).toContain("  route chat → chat-v2, upstream mock-a → mock-b: 4 requests\n");
    expect(r.stdout).toContain("  route embeddings: upstream mock-a → mock-b: 3 requests\n");
    expect(r.stdout).toContain("  404 now (was route legacy): 2 requests\n");
    expect(r.stdout).toContain("  now routed to nope (was 404): 2 requests\n");
    expect(r.stdout).toMatch(/e\.g\. POST \/v1\/chat\/completions \(model mock-1\), line \d+, request [0-9a-f-]{36}/);
    // chat-small was public; the log records its caller as anonymous, so the new auth refuses it.
    expect(r.stdout).toContain("  401 now on route chat-small (was forwarded): 1 request\n");
  });

  it("prints the differences as JSON", async () => {
    const r = await runCli(["replay", "proposed.yaml", "access.jsonl", "--format", "json"], { files: { "proposed.yaml": proposed, "access.jsonl": log } });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as ReplayJson;
    expect(out.ok).toBe(false);
    expect(out.summary).toMatchObject({ requests: 14, same: 2, different: 12, skipped: { malformed: 2, undecided: 0 } });
    expect(out.differences.map((d) => [d.kind, d.message, d.count])).toEqual([
      ["route", "route chat → chat-v2, upstream mock-a → mock-b", 4],
      ["upstream", "route embeddings: upstream mock-a → mock-b", 3],
      ["status", "404 now (was route legacy)", 2],
      ["status", "now routed to nope (was 404)", 2],
      ["status", "401 now on route chat-small (was forwarded)", 1],
    ]);
    const moved = out.differences[0]!;
    expect(moved.from).toEqual({ route: "chat", upstream: "mock-a", status: 200 });
    expect(moved.to).toEqual({ route: "chat-v2", upstream: "mock-b", status: 200 });
    expect(moved.examples).toHaveLength(3);
    expect(moved.examples[0]).toMatchObject({ method: "POST", path: "/v1/chat/completions", model: "mock-1" });
    expect(out.differences[2]!.examples.map((e) => e.path).sort()).toEqual(["/legacy/a", "/legacy/b"]);
    expect(out.notes).toEqual([]);
  });

  it("reads the log from stdin with -", async () => {
    const r = await runCli(["replay", "proposed.yaml", "-"], { files: { "proposed.yaml": proposed }, stdin: log });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("from stdin through proposed.yaml");
  });

  it("exits 2 for a log without access lines or a missing file, 1 with findings for an invalid config", async () => {
    const empty = await runCli(["replay", "gateway.yaml", "other.jsonl"], { files: { "gateway.yaml": recordedYaml, "other.jsonl": '{"msg":"hi"}\nnope\n' } });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('other.jsonl holds no access-log lines (JSON lines with "type":"access"; 1 other, 1 malformed)');
    const missing = await runCli(["replay", "gateway.yaml", "missing.jsonl"], { files: { "gateway.yaml": recordedYaml } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read missing.jsonl: no such file");
    const invalid = await runCli(["replay", "bad.yaml", "access.jsonl"], { files: { "bad.yaml": "version: 1\nroutes: 3\n", "access.jsonl": log } });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("bad.yaml:2:9 error");
  });
});

describe("replay rules", () => {
  const line = (fields: Record<string, unknown>): string =>
    JSON.stringify({ type: "access", method: "POST", path: "/v1/chat/completions", route: "chat", upstream: "a", model: null, status: 200, error: null, ...fields });
  const snap = snapshotOf(`version: 1
auth:
  - name: keys
    type: apiKey
    keys: [{ id: a, consumer: team-a, sha256: "88679f793f921fe3a5ebd6bdde335cba5521ae73ba2c3fbfc3515f0bde6642ce" }]
consumers:
  - { name: team-a, scopes: [chat] }
upstreams:
  - { name: a, type: mock }
  - { name: b, type: mock }
  - { name: c, type: mock }
routes:
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    auth: [keys]
    split: [{ upstream: a, weight: 90 }, { upstream: b, weight: 10 }]
    fallback: [c]
`);

  it("counts an upstream the route can still answer from (split member, fallback) as the same", () => {
    const log = parseAccessLog([line({ upstream: "a" }), line({ upstream: "b" }), line({ upstream: "c" }), line({ upstream: "zzz" })].join("\n"));
    const report = replay(snap, "log", log);
    expect(report.same).toBe(3);
    expect(report.differences.map((d) => d.message)).toEqual(["route chat: upstream zzz → a"]);
  });

  it("compares auth when the line records the caller: anonymous now 401, a recorded 401 now forwarded", () => {
    const report = replay(snap, "log", parseAccessLog([line({ consumer: null }), line({ consumer: "team-a" })].join("\n")));
    expect(report.differences.map((d) => [d.message, d.count])).toEqual([["401 now on route chat (was forwarded)", 1]]);
    const open = snapshotOf("version: 1\nupstreams: [{ name: a, type: mock }]\nroutes: [{ name: chat, match: { path: /v1/chat/completions }, upstream: a }]\n");
    const was401 = replay(open, "log", parseAccessLog(line({ status: 401, upstream: null, error: "missing_credentials" })));
    expect(was401.differences.map((d) => d.message)).toEqual(["route chat now forwards requests that were 401"]);
  });

  it("takes a forwarded request without a recorded caller to have held credentials, and says so", () => {
    const report = replay(snap, "log", parseAccessLog(JSON.stringify({ type: "access", method: "POST", path: "/v1/chat/completions", route: "chat", upstream: "a", status: 200 })));
    expect(report.differences).toEqual([]);
    expect(report.notes).toEqual([{ kind: "auth-unchecked", message: "route chat requires keys: not checked, the access log does not record the caller", count: 1 }]);
  });

  it("does not guess token scopes: a recorded consumer short of the route's scopes is a note, not a difference", () => {
    const scoped = snapshotOf(`version: 1
auth:
  - { name: keys, type: apiKey, keys: [{ id: a, consumer: team-a, sha256: "88679f793f921fe3a5ebd6bdde335cba5521ae73ba2c3fbfc3515f0bde6642ce" }] }
consumers:
  - { name: team-a, scopes: [chat], models: ["gpt-*"] }
upstreams: [{ name: a, type: mock }]
routes:
  - { name: chat, match: { path: /v1/chat/completions }, auth: [keys], scopes: [chat, admin], upstream: a }
  - { name: gpt, match: { path: /v1/gpt }, auth: [keys], scopes: [chat], upstream: a }
`);
    const report = replay(scoped, "log", parseAccessLog([line({ consumer: "bob" }), line({ path: "/v1/gpt", route: "gpt", consumer: "team-a", model: "claude-3" })].join("\n")));
    expect(report.notes.map((n) => n.message)).toEqual(["route chat requires scopes chat, admin: not checked, the access log does not record token scopes"]);
    // The model allow-list is the consumer's own: that refusal is certain.
    expect(report.differences.map((d) => d.message)).toEqual(["403 now on route gpt (was forwarded)"]);
  });

  it("compares limits when the line records them", () => {
    const report = replay(snap, "log", parseAccessLog(line({ consumer: "team-a", rateLimits: ["per-consumer"] })));
    expect(report.differences.map((d) => d.message)).toEqual(["route chat: limits [per-consumer] → []"]);
  });

  it("skips lines that ended before routing, and knows the recorded decision", () => {
    const log = parseAccessLog([line({ route: null, upstream: null, status: 499 }), line({ route: null, upstream: null, status: 413, error: "payload_too_large" })].join("\n"));
    expect(log.records.map(recordedOutcome)).toEqual([undefined, undefined]);
    expect(replay(snap, "log", log).skipped.undecided).toBe(2);
    const outcomes = parseAccessLog(
      [
        line({ route: null, upstream: null, status: 404, error: "route_not_found" }),
        line({ route: null, upstream: null, status: 400, error: "invalid_path" }),
        line({ status: 502, error: "upstream_connect_error" }),
        line({ status: 403, upstream: null }),
        line({ status: 403, upstream: null, error: "insufficient_scope" }),
        line({ status: 401, upstream: null, error: "invalid_credentials" }),
        // A refusal decide() does not model (a plugin): the routing decision was "forwarded".
        line({ status: 403, upstream: null, error: "ip_denied" }),
        line({ status: 503, upstream: null, error: "auth_unavailable" }),
      ].join("\n"),
    ).records.map(recordedOutcome);
    expect(outcomes).toEqual([404, 400, 200, 403, 403, 401, 200, undefined]);
  });

  it("notes requests whose model the log did not record when routes now match on model", () => {
    const byModel = snapshotOf("version: 1\nupstreams: [{ name: a, type: mock }]\nroutes: [{ name: chat, match: { path: /v1/chat/completions, model: 'gpt-*' }, upstream: a }]\n");
    const report = replay(byModel, "log", parseAccessLog(line({})));
    expect(report.notes.map((n) => n.kind)).toEqual(["model-unknown"]);
  });
});
