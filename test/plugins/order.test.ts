/**
 * Plugin order (DESIGN.md 11, plugins/order.ts): gateway plugins before the
 * route's, lower priority first, `parallel` plugins of one priority at
 * once; measured with custom plugins that record when their hooks ran.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-plugin-order-"));
const RECORDER = join(dir, "recorder.mjs");
// Each request hook appends `id:start:end` (ms, sub-ms precision) to x-order on the
// request the upstream receives; each response hook appends its id to x-response-order.
writeFileSync(
  RECORDER,
  `/** @type {import("aigw").Plugin<{ id: string, delayMs: number }>} */
export default {
  name: "recorder",
  schema: { type: "object", required: ["id"], additionalProperties: false, properties: { id: { type: "string" }, delayMs: { type: "integer", minimum: 0, default: 0 } } },
  create(config) {
    const now = () => performance.timeOrigin + performance.now();
    return {
      async request(ctx) {
        const start = now();
        if (config.delayMs > 0) await new Promise((r) => setTimeout(r, config.delayMs));
        const entry = config.id + ":" + start.toFixed(3) + ":" + now().toFixed(3) + ":" + (ctx.consumer ?? "-");
        const prev = ctx.headers["x-order"];
        ctx.headers["x-order"] = prev === undefined ? entry : prev + "," + entry;
      },
      response(ctx) {
        const prev = ctx.response.headers["x-response-order"];
        ctx.response.headers["x-response-order"] = prev === undefined ? config.id : prev + "," + config.id;
      },
    };
  },
};
`,
);

const KEY = "sk-order-test-000000000000000000001";
const AUTH = `auth: [{ name: keys, type: apiKey, keys: [{ id: k, consumer: team-a, sha256: "${createHash("sha256").update(KEY).digest("hex")}" }] }]
consumers: [{ name: team-a }]`;

/** A recorder entry: `{ name: <id>, module: recorder, config: { id, delayMs }, priority, parallel }`. */
function rec(id: string, options: { delayMs?: number; priority?: number; parallel?: boolean } = {}): string {
  const entry: Record<string, unknown> = { name: id, module: "./recorder.mjs", config: { id, delayMs: options.delayMs ?? 0 } };
  if (options.priority !== undefined) entry.priority = options.priority;
  if (options.parallel !== undefined) entry.parallel = options.parallel;
  return JSON.stringify(entry);
}

interface Entry {
  id: string;
  start: number;
  end: number;
  consumer: string;
}
function order(header: string | string[] | undefined): Entry[] {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  return text.split(",").map((e) => {
    const [id, start, end, consumer] = e.split(":");
    return { id: id!, start: Number(start), end: Number(end), consumer: consumer! };
  });
}
const overlap = (a: Entry, b: Entry): boolean => a.start < b.end && b.start < a.end;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
async function setup(yaml: string): Promise<{ gw: TestGateway; up: FakeUpstream }> {
  const up = await new FakeUpstream().start();
  open.push(up);
  const gw = await startTestGateway(`version: 1\n${AUTH}\n${yaml.replaceAll("UPSTREAM", up.url)}`, { file: join(dir, "gateway.yaml") });
  open.push(gw);
  return { gw, up };
}

describe("plugin order", () => {
  it("gateway plugins before the route's, then lower priority first, then file order; response hooks in the same order", async () => {
    const { gw, up } = await setup(`upstreams: [{ name: svc, type: http, targets: [{ url: "UPSTREAM" }] }]
gateway:
  plugins:
    - ${rec("g-late", { priority: 10 })}
    - ${rec("g-early", { priority: -1 })}
routes:
  - name: svc
    upstream: svc
    auth: [keys]
    plugins:
      - ${rec("r-zero-first", { priority: 0 })}
      - ${rec("r-high", { priority: 50 })}
      - ${rec("r-low", { priority: -100 })}
      - ${rec("r-zero-second")}
`);
    const res = await fetch(`${gw.url}/x`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    const ran = order(up.last.headers["x-order"]);
    expect(ran.map((e) => e.id)).toEqual(["g-early", "g-late", "r-low", "r-zero-first", "r-zero-second", "r-high"]);
    // Custom plugins run after auth: they know the consumer.
    expect(new Set(ran.map((e) => e.consumer))).toEqual(new Set(["team-a"]));
    expect(res.headers.get("x-response-order")).toBe("g-early,g-late,r-low,r-zero-first,r-zero-second,r-high");
  });

  it("parallel plugins of one priority overlap in time; sequential ones do not; the next step waits for the whole group", async () => {
    const { gw, up } = await setup(`upstreams: [{ name: svc, type: http, targets: [{ url: "UPSTREAM" }] }]
routes:
  - name: svc
    upstream: svc
    plugins:
      - ${rec("seq-1", { delayMs: 40 })}
      - ${rec("par-a", { delayMs: 80, parallel: true })}
      - ${rec("par-b", { delayMs: 60, parallel: true })}
      - ${rec("seq-2", { delayMs: 40 })}
      - ${rec("par-c", { delayMs: 50, parallel: true })}
      - ${rec("next", { delayMs: 10, priority: 1 })}
`);
    expect((await fetch(`${gw.url}/x`)).status).toBe(200);
    const ran = order(up.last.headers["x-order"]);
    const by = Object.fromEntries(ran.map((e) => [e.id, e]));
    // seq-1, then the parallel group (at the place of its first member), then seq-2, then priority 1.
    expect(ran.map((e) => e.id).filter((id) => !id.startsWith("par"))).toEqual(["seq-1", "seq-2", "next"]);
    const group = [by["par-a"]!, by["par-b"]!, by["par-c"]!];
    for (const a of group) for (const b of group) if (a !== b) expect(overlap(a, b), `${a.id} and ${b.id} overlap`).toBe(true);
    for (const p of group) {
      expect(p.start).toBeGreaterThanOrEqual(by["seq-1"]!.end);
      expect(by["seq-2"]!.start).toBeGreaterThanOrEqual(p.end);
    }
    expect(overlap(by["seq-1"]!, by["seq-2"]!)).toBe(false);
    expect(by["next"]!.start).toBeGreaterThanOrEqual(by["seq-2"]!.end);
  });

  it("a step's answer (or failure) stops the chain: later steps never run, the whole parallel group finishes", async () => {
    const answer = join(dir, "answer.mjs");
    writeFileSync(
      answer,
      `export default { name: "answer", create: () => ({ async request(ctx) { await new Promise((r) => setTimeout(r, 10)); return { status: 418, headers: { "x-from": "answer" }, body: { teapot: true } }; } }) };\n`,
    );
    const { gw, up } = await setup(`upstreams: [{ name: svc, type: http, targets: [{ url: "UPSTREAM" }] }]
routes:
  - name: svc
    upstream: svc
    plugins:
      - { name: answer, module: ./answer.mjs, parallel: true }
      - ${rec("sibling", { delayMs: 30, parallel: true })}
      - ${rec("later", { priority: 5 })}
`);
    const res = await fetch(`${gw.url}/x`);
    expect(res.status).toBe(418);
    expect(res.headers.get("x-from")).toBe("answer");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ teapot: true });
    // The sibling ran (its response hook too), `later` did not, the upstream was never called.
    expect(res.headers.get("x-response-order")).toBe("sibling");
    expect(up.requests).toHaveLength(0);
  });

  it("is printed by `aigw routes` and `aigw explain` (text and json)", async () => {
    const file = join(dir, "order.yaml");
    writeFileSync(
      file,
      `version: 1
upstreams: [{ name: mock, type: mock }, { name: svc, type: http, targets: [{ url: "http://127.0.0.1:9" }] }]
gateway:
  plugins:
    - { name: cors, config: { origins: ["*"] } }
    - { name: prompt-guard, priority: 5, config: { detectors: [email] } }
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: mock
    plugins:
      - { name: request-headers, priority: 1, config: { set: { x-a: b } } }
      - { name: tagger, module: ./recorder.mjs, parallel: true, config: { id: t } }
      - { name: max-tokens, parallel: true, config: { limit: 10 } }
  - { name: plain, match: { pathPrefix: /svc }, upstream: svc }
`,
    );
    const explain = await runCli(["explain", file, "--method", "POST", "--path", "/v1/chat/completions", "--format", "json"]);
    expect(explain.code).toBe(0);
    const out = JSON.parse(explain.stdout) as { plugins: unknown[]; route: string; matched: boolean };
    expect(out).toMatchObject({ matched: true, route: "chat" });
    expect(out.plugins).toEqual([
      { step: 1, name: "cors", source: "gateway", phase: "access", priority: 0, parallel: false },
      { step: 2, name: "prompt-guard", source: "gateway", phase: "request", priority: 5, parallel: false },
      { step: 3, name: "tagger", source: "route", phase: "request", priority: 0, parallel: true, module: "./recorder.mjs" },
      { step: 3, name: "max-tokens", source: "route", phase: "request", priority: 0, parallel: true },
      { step: 4, name: "request-headers", source: "route", phase: "request", priority: 1, parallel: false },
    ]);
    const text = await runCli(["explain", file, "--method", "POST", "--path", "/v1/chat/completions"]);
    expect(text.stdout).toContain("plugins    before auth: cors; after auth: prompt-guard → [tagger ∥ max-tokens] → request-headers");
    const routes = await runCli(["routes", file, "--format", "json"]);
    const rows = (JSON.parse(routes.stdout) as { routes: { route: string; plugins: { name: string; step: number }[] }[] }).routes;
    expect(rows.find((r) => r.route === "chat")!.plugins.map((p) => `${p.step}:${p.name}`)).toEqual(["1:cors", "2:prompt-guard", "3:tagger", "3:max-tokens", "4:request-headers"]);
    // prompt-guard is for AI routes only: left out of the plain route.
    expect(rows.find((r) => r.route === "plain")!.plugins.map((p) => p.name)).toEqual(["cors"]);
    const table = await runCli(["routes", file]);
    expect(table.stdout).toContain("cors,prompt-guard,tagger+max-tokens,request-headers");
  });
});
