import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatPlanText } from "../../src/cli/output/plan-text.js";
import { secretScrubber } from "../../src/cli/output/plan-values.js";
import { closedPort } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";
import { baseConfig, edited, only, planOf, toYaml, type Config } from "../helpers/plan-config.js";

const high = (before: Config, after: Config, kind: string, name: string) => only(planOf(before, after), kind, name);

describe("plan: high risk", () => {
  it("auth removed from a route (the route made public)", () => {
    const c = high(baseConfig(), edited((x) => delete x.routes[0].auth && delete x.routes[0].scopes), "route", "chat");
    expect(c.risk).toBe("high");
    expect(c.notes).toContain("route chat made public: auth keys, corp removed");
  });

  it("one provider of several removed is not high; a public route gaining auth is low", () => {
    const fewer = high(baseConfig(), edited((x) => (x.routes[0].auth = ["keys"])), "route", "chat");
    expect(fewer.risk).toBe("low");
    expect(fewer.notes).toContain("route chat: no longer accepts callers of corp");
    const pub = edited((x) => delete x.routes[1].auth);
    const gained = high(pub, baseConfig(), "route", "svc");
    expect(gained.risk).toBe("low");
    expect(gained.notes[0]).toMatch(/now requires auth \(keys\)/);
  });

  const widen: [string, (x: Config) => void, string][] = [
    ["more methods", (x) => (x.routes[1].match.methods = ["GET", "POST", "DELETE"]), "methods GET, POST → GET, POST, DELETE"],
    ["methods condition removed", (x) => delete x.routes[1].match.methods, "methods GET, POST → any"],
    ["path → pathPrefix", (x) => (x.routes[0].match = { pathPrefix: "/v1/chat", methods: ["POST"], model: "gpt-4o*" }), "path /v1/chat/completions → pathPrefix /v1/chat"],
    ["shorter prefix", (x) => (x.routes[1].match.pathPrefix = "/v1"), "pathPrefix /v1/svc → pathPrefix /v1"],
    ["host removed", (x) => delete x.routes[1].match.host, "host api.example.com → any"],
    ["host broadened", (x) => (x.routes[1].match.host = "*.example.com"), "host api.example.com → *.example.com"],
    ["header condition removed", (x) => delete x.routes[1].match.headers, "headers x-team: analytics → none"],
    ["model condition removed", (x) => delete x.routes[0].match.model, "model gpt-4o* → any"],
    ["model glob broadened", (x) => (x.routes[0].match.model = "gpt-*"), "model gpt-4o* → gpt-*"],
    ["model list grows", (x) => (x.routes[0].match.model = ["gpt-4o*", "o1*"]), "model gpt-4o* → gpt-4o*, o1*"],
  ];
  for (const [label, edit, text] of widen) {
    it(`route widened: ${label}`, () => {
      const route = edited(edit).routes.find((r: Config) => JSON.stringify(r) !== JSON.stringify(baseConfig().routes.find((b: Config) => b.name === r.name)));
      const c = high(baseConfig(), edited(edit), "route", route.name);
      expect(c.risk).toBe("high");
      expect(c.notes).toContain(`route ${route.name} widened: ${text}`);
    });
  }

  it("a narrowed match is low, a moved one medium", () => {
    const narrowed = high(baseConfig(), edited((x) => (x.routes[1].match.pathPrefix = "/v1/svc/reports")), "route", "svc");
    expect(narrowed.risk).toBe("low");
    expect(narrowed.notes).toContain("route svc narrowed: pathPrefix /v1/svc → pathPrefix /v1/svc/reports");
    const moved = high(baseConfig(), edited((x) => (x.routes[0].match.path = "/v1/completions")), "route", "chat");
    expect(moved.risk).toBe("medium");
    expect(moved.notes).toContain("route chat matches other traffic: path /v1/chat/completions → path /v1/completions");
  });

  it("an upstream removed while a route that used it (as fallback) still exists", () => {
    const before = edited((x) => (x.routes[0].fallback = ["claude"]));
    const after = edited((x) => {
      delete x.routes[0].fallback;
      x.upstreams = x.upstreams.filter((u: Config) => u.name !== "claude");
    });
    const c = high(before, after, "upstream", "claude");
    expect(c.action).toBe("remove");
    expect(c.risk).toBe("high");
    expect(c.notes).toContain("upstream claude removed while route chat used it as fallback: now openai");
  });

  it("an upstream removed together with the routes that used it is not high; unused is low", () => {
    const after = edited((x) => {
      x.routes = x.routes.filter((r: Config) => r.name !== "svc");
      x.upstreams = x.upstreams.filter((u: Config) => u.name !== "svc");
    });
    const c = high(baseConfig(), after, "upstream", "svc");
    expect(c.risk).toBe("low");
    expect(c.notes).toEqual(["upstream svc removed with route svc, which used it as upstream"]);
    const unused = high(baseConfig(), edited((x) => (x.upstreams = x.upstreams.filter((u: Config) => u.name !== "claude"))), "upstream", "claude");
    expect(unused.notes).toEqual(["upstream claude removed: no route used it"]);
  });

  it("an upstream removed with its route, the traffic taken by a new route: the notes say where it goes", () => {
    const after = edited((x) => {
      x.routes[1].name = "analytics";
      x.routes[1].upstream = "openai";
      x.upstreams = x.upstreams.filter((u: Config) => u.name !== "svc");
    });
    const result = planOf(baseConfig(), after);
    expect(only(result, "upstream", "svc").notes).toEqual(["upstream svc removed with route svc, which used it as upstream"]);
    expect(only(result, "route", "svc").notes).toEqual([
      "route svc removed: requests for GET,POST /v1/svc/* host api.example.com headers x-team: analytics now go to route analytics → openai (auth keys)",
    ]);
    expect(only(result, "route", "analytics").notes).toContain(
      "route analytics takes requests for GET,POST /v1/svc/* host api.example.com headers x-team: analytics from route svc",
    );
  });

  it("a rate limit raised more than 10× (by limit or by window); 5× is low", () => {
    const raised = high(baseConfig(), edited((x) => (x.rateLimits[0].limit = 2000)), "rateLimit", "rpm");
    expect(raised.risk).toBe("high");
    expect(raised.notes).toContain("consumer beta: requests per minute 100 → 2k (20× higher)");
    expect(raised.notes).toContain("route chat: requests per minute 100 → 2k (20× higher)");
    const window = high(baseConfig(), edited((x) => (x.rateLimits[0].window = "1s")), "rateLimit", "rpm");
    expect(window.risk).toBe("high");
    expect(window.notes[0]).toBe("consumer beta: requests per minute 100 → 6k (100 per second, 60× higher)");
    const five = high(baseConfig(), edited((x) => (x.rateLimits[0].limit = 500)), "rateLimit", "rpm");
    expect(five.risk).toBe("low");
  });

  it("consequences in words: consumer acme: tokens per minute 100k → 10k", () => {
    const c = high(baseConfig(), edited((x) => (x.rateLimits[1].limit = 10000)), "rateLimit", "tpm");
    expect(c.risk).toBe("low");
    expect(c.notes).toEqual(["consumer acme: tokens per minute 100k → 10k (10× lower)"]);
  });

  it("a limit removed from a consumer, a route or the gateway, or put in shadow mode", () => {
    const consumer = high(baseConfig(), edited((x) => (x.consumers[0].rateLimits = [])), "consumer", "acme");
    expect(consumer.risk).toBe("high");
    expect(consumer.notes).toContain("consumer acme: no tokens limit any more (was tokens per minute 100k)");
    const route = high(baseConfig(), edited((x) => (x.routes[0].rateLimits = [])), "route", "chat");
    expect(route.risk).toBe("high");
    const gateway = high(baseConfig(), edited((x) => (x.gateway.rateLimits = [])), "server", "gateway");
    expect(gateway.risk).toBe("high");
    expect(gateway.notes).toContain("every route (gateway): no requests limit any more (was requests per second 5k)");
    const shadow = high(baseConfig(), edited((x) => (x.rateLimits[2].mode = "shadow")), "rateLimit", "global");
    expect(shadow.risk).toBe("high");
    const swapped = high(baseConfig(), edited((x) => (x.consumers[1].rateLimits = ["global"])), "consumer", "beta");
    expect(swapped.notes).toContain("consumer beta: requests per minute 100 → 300k (5k per second, 3k× higher)");
    expect(swapped.risk).toBe("high");
  });

  it("a budget raised more than 10× or removed; lowered is low", () => {
    const raised = high(baseConfig(), edited((x) => (x.consumers[0].budget = { usd: 50, period: "day" })), "consumer", "acme");
    expect(raised.risk).toBe("high");
    expect(raised.notes).toContain("consumer acme: budget $100/month → $50/day (15× higher)");
    const removed = high(baseConfig(), edited((x) => delete x.consumers[0].budget), "consumer", "acme");
    expect(removed.risk).toBe("high");
    const lowered = high(baseConfig(), edited((x) => (x.consumers[0].budget.usd = 10)), "consumer", "acme");
    expect(lowered.risk).toBe("low");
    expect(lowered.notes).toContain("consumer acme: budget $100/month → $10/month (10× lower)");
  });

  it("a consumer removed while a key still authenticates as it loses its budget and limits", () => {
    const c = high(baseConfig(), edited((x) => (x.consumers = x.consumers.filter((k: Config) => k.name !== "acme"))), "consumer", "acme");
    expect(c.risk).toBe("high");
    expect(c.notes[0]).toMatch(/^consumer acme removed while keys acme-1 still authenticate as acme/);
    expect(c.notes).toContain("consumer acme: budget removed (was $100/month)");
    const renamed = high(baseConfig(), edited((x) => (x.consumers[1].name = "beta-team")), "consumer", "beta-team");
    expect(renamed.risk).toBe("high");
    expect(renamed.notes).toContain("consumer beta renamed to beta-team while keys beta-1 still authenticate as beta: its budget, scopes and limits no longer apply");
    const unused = edited((x) => x.consumers.push({ name: "gamma", rateLimits: ["rpm"] }));
    expect(high(unused, edited((x) => (x.consumers[2].name = "delta"), unused), "consumer", "delta").risk).toBe("low");
  });

  it("a removed route whose traffic falls through to a public route", () => {
    const before = edited((x) => x.routes.push({ name: "catch-all", match: { pathPrefix: "/v1" }, upstream: "svc" }));
    const after = edited((x) => (x.routes = x.routes.filter((r: Config) => r.name !== "chat")), before);
    const c = high(before, after, "route", "chat");
    expect(c.risk).toBe("high");
    expect(c.notes[0]).toBe("route chat removed: requests for POST /v1/chat/completions model gpt-4o* now reach public route catch-all (was auth keys, corp)");
    const gone = high(baseConfig(), edited((x) => (x.routes = x.routes.filter((r: Config) => r.name !== "chat"))), "route", "chat");
    expect(gone.risk).toBe("low");
    expect(gone.notes[0]).toMatch(/get 404$/);
  });

  it("a new public route taking traffic an authenticated route had", () => {
    const after = edited((x) => x.routes.push({ name: "svc-public", match: { path: "/v1/svc/status", methods: ["GET"] }, upstream: "svc" }));
    const c = high(baseConfig(), after, "route", "svc-public");
    expect(c.action).toBe("add");
    expect(c.risk).toBe("high");
    expect(c.notes).toContain("route svc-public takes requests for GET /v1/svc/status from route svc (auth keys) without auth");
  });

  it("a guard plugin removed (gateway or route)", () => {
    const before = edited((x) => x.gateway.plugins.push({ name: "ip-allow", config: { cidrs: ["10.0.0.0/8"] } }));
    const c = high(before, baseConfig(), "plugin", "ip-allow");
    expect(c.risk).toBe("high");
    expect(c.notes).toEqual(["every route: plugin ip-allow removed, any client IP is accepted"]);
    const routeBefore = edited((x) => x.routes[1].plugins.push({ name: "ip-allow", config: { cidrs: ["10.0.0.0/8"] } }));
    expect(high(routeBefore, baseConfig(), "route", "svc").risk).toBe("high");
  });
});

describe("plan: medium and low risk", () => {
  it("targets and weights of an upstream are medium, naming the routes that use it", () => {
    const target = high(baseConfig(), edited((x) => x.upstreams[2].targets.push({ url: "http://svc-3.internal:8080" })), "upstream", "svc");
    expect(target.risk).toBe("medium");
    expect(target.notes).toEqual(["upstream svc: targets +http://svc-3.internal:8080 (routes svc)"]);
    const weight = high(baseConfig(), edited((x) => (x.upstreams[2].targets[0].weight = 3)), "upstream", "svc");
    expect(weight.risk).toBe("medium");
    expect(weight.notes).toEqual(["upstream svc: weight of http://svc-1.internal:8080 1 → 3 (routes svc)"]);
  });

  it("a split or upstream change is medium; a new fallback names the price ratio", () => {
    const split = edited((x) => {
      delete x.routes[0].upstream;
      x.routes[0].split = [
        { upstream: "openai", weight: 90 },
        { upstream: "claude", weight: 10 },
      ];
    });
    const toSplit = high(baseConfig(), split, "route", "chat");
    expect(toSplit.risk).toBe("medium");
    expect(toSplit.notes).toContain("route chat: traffic moves from openai to openai 90, claude 10");
    const weights = high(split, edited((x) => (x.routes[0].split[1].weight = 50), split), "route", "chat");
    expect(weights.risk).toBe("medium");
    expect(weights.notes).toEqual(["route chat: split weights openai 90, claude 10 → openai 90, claude 50"]);
    const fallback = high(baseConfig(), edited((x) => (x.routes[0].fallback = ["claude"])), "route", "chat");
    expect(fallback.risk).toBe("medium");
    // openai gpt-4o*: 2.5 + 10; claude-sonnet-4-5*: 3 + 15 → 1.44×
    expect(fallback.notes).toEqual(["route chat: new fallback claude, +1.4× $/token"]);
    const moved = high(baseConfig(), edited((x) => (x.routes[0].upstream = "claude")), "route", "chat");
    expect(moved.notes).toEqual(["route chat: traffic moves from openai to claude, +1.4× $/token"]);
  });

  it("other changes are low", () => {
    for (const edit of [
      (x: Config) => (x.routes[0].timeoutMs = 1000),
      (x: Config) => (x.upstreams[0].retries = { attempts: 3 }),
      (x: Config) => (x.pricing[0].input = 5),
      (x: Config) => (x.server.limits = { maxBodyBytes: 1024 }),
      (x: Config) => x.auth[0].keys.push({ id: "gamma-1", consumer: "gamma", sha256: "a".repeat(64) }),
    ]) {
      const result = planOf(baseConfig(), edited(edit));
      expect(result.changes).toHaveLength(1);
      expect(result.changes[0]!.risk).toBe("low");
    }
  });
});

/** Files for runCli. */
function files(after: Config, before: Config = baseConfig()): Record<string, string> {
  return { "old.yaml": toYaml(before), "new.yaml": toYaml(after) };
}

const risky = edited((x) => {
  delete x.routes[0].auth;
  delete x.routes[0].scopes;
  x.routes[1].timeoutMs = 1000;
  x.upstreams.push({ name: "mock", type: "mock" });
});

describe("aigw plan", () => {
  it("text: the one-line summary, the compared sides, each change with risk, fields and notes", async () => {
    const r = await runCli(["plan", "new.yaml", "--against", "old.yaml"], { files: files(risky) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Plan: 1 to add, 2 to change, 0 to remove; 1 high risk");
    expect(lines[1]).toMatch(/^old\.yaml \(sha256:[0-9a-f]{12}\) → new\.yaml \(sha256:[0-9a-f]{12}\)$/);
    expect(r.stdout).toContain("~ route chat  high risk\n    auth: [keys, corp] → (none)\n    scopes: [chat] → [] (−chat)\n");
    expect(r.stdout).toContain("    * route chat made public: auth keys, corp removed\n");
    expect(r.stdout).toContain("+ upstream mock  low risk\n    balancer: round_robin\n");
    expect(r.stdout).toContain("    type: mock\n    * new upstream mock (mock)\n");
  });

  it("colours only when asked", () => {
    const result = planOf(baseConfig(), risky);
    const view = { title: "Plan" as const, showRisk: true, from: { label: "a", hash: "" }, to: { label: "b", hash: "" } };
    expect(formatPlanText(result, view, true)).toContain("\u001b[31m");
    expect(formatPlanText(result, view, false)).not.toContain("\u001b[");
  });

  it("--detailed-exitcode: 0 no changes, 2 changes, 3 with a high-risk one, 1 error", async () => {
    const run = (after: Config, extra: string[] = []) => runCli(["plan", "new.yaml", "--against", "old.yaml", "--detailed-exitcode", ...extra], { files: files(after) });
    expect((await run(baseConfig())).code).toBe(0);
    expect((await run(baseConfig())).stdout).toBe("No changes: new.yaml matches old.yaml.\n");
    expect((await run(edited((x) => (x.routes[0].timeoutMs = 1)))).code).toBe(2);
    expect((await run(risky)).code).toBe(3);
    const missing = await runCli(["plan", "new.yaml", "--against", "gone.yaml", "--detailed-exitcode"], { files: files(baseConfig()) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read gone\.yaml/);
    const invalid = await runCli(["plan", "new.yaml", "--against", "old.yaml", "--detailed-exitcode"], { files: { "old.yaml": toYaml(baseConfig()), "new.yaml": "version: 2\n" } });
    expect(invalid.code).toBe(1);
    // Without the flag: 0 whatever changed; errors exit 2 like other usage/IO errors.
    expect((await runCli(["plan", "new.yaml", "--against", "old.yaml"], { files: files(risky) })).code).toBe(0);
    expect((await runCli(["plan", "new.yaml", "--against", "gone.yaml"], { files: files(risky) })).code).toBe(2);
    const noAgainst = await runCli(["plan", "new.yaml"], { files: files(risky) });
    expect(noAgainst.code).toBe(2);
    expect(noAgainst.stderr).toBe("aigw: plan needs --against <admin URL | file | git:<ref>:<path>> (what runs now)\n");
    expect((await runCli(["plan", "new.yaml", "--detailed-exitcode"], { files: files(risky) })).code).toBe(1);
  });

  it("--format json: the DESIGN shape with risk and consequences", async () => {
    const r = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", "json"], { files: files(risky) });
    const out = JSON.parse(r.stdout);
    expect(out.summary).toEqual({ add: 1, change: 2, remove: 0, highRisk: 1 });
    expect(out.changes.map((c: Config) => [c.kind, c.name, c.action, c.risk])).toEqual([
      ["route", "chat", "change", "high"],
      ["route", "svc", "change", "low"],
      ["upstream", "mock", "add", "low"],
    ]);
    for (const c of out.changes) expect(Object.keys(c)).toEqual(["kind", "name", "action", "risk", "fields", "notes"]);
    expect(out.changes[0].notes).toContain("route chat made public: auth keys, corp removed");
  });

  it("--format markdown: a ready PR comment", async () => {
    const r = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", "markdown"], { files: files(risky) });
    const md = r.stdout;
    expect(md.startsWith("<!-- aigw-plan -->\n### 🔴 Plan: 1 to add, 2 to change, 0 to remove; 1 high risk\n")).toBe(true);
    expect(md).toMatch(/`new\.yaml` against `old\.yaml` \(`sha256:[0-9a-f]{12}`\)/);
    expect(md).toContain("| | kind | name | risk | fields |\n|---|---|---|---|---|\n");
    expect(md).toContain("| ✏️ change | route | `chat` | 🔴 high | `auth`, `scopes` |");
    expect(md).toContain("| ➕ add | upstream | `mock` | 🟢 low | `balancer`, `pool`, `retries`, `timeouts` +1 |");
    expect(md).toContain("#### ✏️ change route `chat` · 🔴 high risk\n\n- route chat made public: auth keys, corp removed\n- route chat: no longer requires scope chat\n\n| field | before | after |\n|---|---|---|\n| `auth` | `[keys, corp]` | — |");
    expect(md).toContain("<details><summary>2 low-risk changes</summary>");
    const none = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", "markdown"], { files: files(baseConfig()) });
    expect(none.stdout).toBe("<!-- aigw-plan -->\n### ✅ No changes: new.yaml matches old.yaml.\n");
  });

  it("--against git:<ref>:<path>", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-plan-git-"));
    try {
      const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, stdio: "pipe" });
      git("init", "-q", "-b", "main");
      writeFileSync(join(dir, "gateway.yaml"), toYaml(baseConfig()));
      git("add", "gateway.yaml");
      git("commit", "-q", "-m", "base");
      writeFileSync(join(dir, "gateway.yaml"), toYaml(risky));
      const r = await runCli(["plan", "gateway.yaml", "--against", "git:main:gateway.yaml", "--detailed-exitcode", "-f", "json"], { cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(3);
      const viaFile = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", "json"], { files: files(risky) });
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(viaFile.stdout));
      const text = await runCli(["plan", "gateway.yaml", "--against", "git:HEAD:gateway.yaml"], { cwd: dir });
      expect(text.stdout.split("\n")[1]).toMatch(/^git:HEAD:gateway\.yaml \(sha256:/);
      const bad = await runCli(["plan", "gateway.yaml", "--against", "git:nope:gateway.yaml", "--detailed-exitcode"], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^aigw: cannot read git:nope:gateway\.yaml: /);
      expect((await runCli(["plan", "gateway.yaml", "--against", "git:main"], { cwd: dir })).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the output guard redacts referenced secret variables and the admin token, raw and JSON-escaped", () => {
    const env = { OPENAI_API_KEY: 'sk-"quoted"-0123456789', PLAIN_VALUE: "not-a-secret-1234", UNUSED_TOKEN: "unused-token-1234" };
    const scrub = secretScrubber(env, ["apiKey: ${OPENAI_API_KEY}\nx: ${PLAIN_VALUE}"], ["admin-token-5678"]);
    const out = scrub(`${env.OPENAI_API_KEY} ${JSON.stringify(env.OPENAI_API_KEY)} admin-token-5678 not-a-secret-1234 unused-token-1234`);
    // Every referenced variable's value is redacted, whatever its name (secrets by provenance); an unreferenced one is not.
    expect(out).toMatch(/^<redacted:[0-9a-f]{8}> "<redacted:[0-9a-f]{8}>" <redacted:[0-9a-f]{8}> <redacted:[0-9a-f]{8}> unused-token-1234$/);
  });

  it("--help shows examples", async () => {
    const r = await runCli(["plan", "--help"]);
    expect(r.stdout).toMatch(/--detailed-exitcode/);
    expect(r.stdout).toMatch(/\$ aigw plan gateway\.yaml --against http:\/\/127\.0\.0\.1:9090/);
  });
});

const SECRETS = {
  OPENAI_API_KEY: "sk-live-OPENAI-5f3a9c7e1b2d4f60",
  ANTHROPIC_API_KEY: "sk-ant-ANTHROPIC-8e7d6c5b4a39",
  ACME_KEY: "acme-SECRET-key-1234567890",
  AIGW_ADMIN_TOKEN: "admin-TOKEN-value-0987654321",
};

describe("plan against a live gateway", () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  const formats = ["text", "json", "markdown"];

  it("equals plan against the same file (text, json, markdown)", async () => {
    gw = await startTestGateway(toYaml(baseConfig()), { env: SECRETS });
    for (const env of [SECRETS, {}]) {
      for (const format of formats) {
        const live = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "-f", format, "--detailed-exitcode"], { files: files(risky), env });
        const file = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", format, "--detailed-exitcode"], { files: files(risky), env });
        expect(live.stderr).toBe("");
        expect(live.code).toBe(3);
        expect(file.code).toBe(3);
        const strip = (s: string) => s.replace(/^.*sha256.*$/m, "");
        expect(strip(live.stdout)).toBe(strip(file.stdout));
      }
    }
    const diffLive = await runCli(["diff", gw.adminUrl, "new.yaml", "-f", "json", "--exit-code"], { files: files(risky) });
    const diffFile = await runCli(["diff", "old.yaml", "new.yaml", "-f", "json", "--exit-code"], { files: files(risky) });
    expect(diffLive.code).toBe(1);
    expect(JSON.parse(diffLive.stdout)).toEqual(JSON.parse(diffFile.stdout));
    const same = await runCli(["plan", "old.yaml", "--against", gw.adminUrl, "--detailed-exitcode"], { files: files(risky) });
    expect(same.code).toBe(0);
    expect(same.stdout).toBe(`No changes: old.yaml matches ${gw.adminUrl}.\n`);
  });

  it("with adminAuth: the token from --token or AIGW_ADMIN_TOKEN; without one, exit 1 and a hint", async () => {
    const secured = edited((x) => (x.server.adminAuth = { tokens: [{ value: "${AIGW_ADMIN_TOKEN}", role: "viewer" }] }));
    gw = await startTestGateway(toYaml(secured), { env: SECRETS });
    const f = files(risky, secured);
    const { AIGW_ADMIN_TOKEN, ...withoutToken } = SECRETS;
    const viaFlag = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "--token", AIGW_ADMIN_TOKEN, "-f", "json"], { files: f, env: withoutToken });
    const viaEnv = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "-f", "json"], { files: f, env: SECRETS });
    const viaFile = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", "json"], { files: f, env: SECRETS });
    expect(viaFlag.code).toBe(0);
    expect(JSON.parse(viaFlag.stdout)).toEqual(JSON.parse(viaFile.stdout));
    expect(JSON.parse(viaEnv.stdout)).toEqual(JSON.parse(viaFile.stdout));
    const refused = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "--detailed-exitcode"], { files: f, env: withoutToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered 401: pass an admin token with --token or AIGW_ADMIN_TOKEN/);
    const wrong = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "--token", "wrong-token-value"], { files: f });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/answered 401: the admin token was refused/);
    expect(wrong.stderr).not.toContain("wrong-token-value");
  });

  it("an unreachable gateway: exit 1 with --detailed-exitcode, 2 without", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(["plan", "new.yaml", "--against", url, "--detailed-exitcode"], { files: files(risky) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^aigw: cannot reach ${url.replace(/\./g, "\\.")}`));
    expect((await runCli(["plan", "new.yaml", "--against", url], { files: files(risky) })).code).toBe(2);
  });

  it("never prints a secret: a changed secret shows as <redacted:a> → <redacted:b>", async () => {
    gw = await startTestGateway(toYaml(baseConfig()), { env: SECRETS });
    const rotated = { ...SECRETS, OPENAI_API_KEY: "sk-live-ROTATED-aa11bb22cc33dd44" };
    const all = [...Object.values(SECRETS), rotated.OPENAI_API_KEY];
    const outputs: string[] = [];
    for (const format of formats) {
      const live = await runCli(["plan", "new.yaml", "--against", gw.adminUrl, "-f", format], { files: files(risky), env: rotated });
      outputs.push(live.stdout, live.stderr);
      if (format === "json") {
        const c = JSON.parse(live.stdout).changes.find((x: Config) => x.kind === "upstream" && x.name === "openai");
        expect(c.fields).toHaveLength(1);
        expect(c.fields[0].before).toMatch(/^<redacted:[0-9a-f]{8}>$/);
        expect(c.fields[0].after).toMatch(/^<redacted:[0-9a-f]{8}>$/);
        expect(c.fields[0].before).not.toBe(c.fields[0].after);
        expect(c.notes).toContain("credentials.apiKey: secret changed");
      }
      const v2 = edited((x) => (x.upstreams[0].credentials.apiKey = "${OPENAI_API_KEY_V2}"));
      const env = { ...SECRETS, OPENAI_API_KEY_V2: rotated.OPENAI_API_KEY };
      for (const args of [
        ["diff", "old.yaml", "new.yaml", "-f", format],
        ["plan", "new.yaml", "--against", "old.yaml", "-f", format],
      ]) {
        const r = await runCli(args, { files: files(v2), env });
        expect(r.stdout).toMatch(/redacted:[0-9a-f]{8}/);
        outputs.push(r.stdout, r.stderr);
      }
      const invalid = await runCli(["plan", "new.yaml", "--against", "old.yaml", "-f", format], {
        files: { "old.yaml": toYaml(baseConfig()), "new.yaml": toYaml(baseConfig()).replace("version: 1", "version: 1\nbogus: ${ACME_KEY}") },
        env: SECRETS,
      });
      outputs.push(invalid.stdout, invalid.stderr);
    }
    const text = outputs.join("\n");
    for (const secret of all) expect(text).not.toContain(secret);
  });
});
