import { describe, expect, it } from "vitest";
import { diffConfigs } from "../../src/plan/diff.js";
import { planConfigs } from "../../src/plan/plan.js";
import { runCli } from "../helpers/io.js";
import { baseConfig, canonicalOf, edited, only, planOf, toYaml, type Config } from "../helpers/plan-config.js";

/** Files for runCli: the base config and an edited one. */
function files(after: Config, before: Config = baseConfig()): Record<string, string> {
  return { "old.yaml": toYaml(before), "new.yaml": toYaml(after) };
}

const field = (path: string, before: unknown, after: unknown) => ({ path, before, after });

describe("diff: every object kind", () => {
  const cases: { kind: string; name: string; add: (c: Config) => void; remove: (c: Config) => void; change: (c: Config) => void; path: string }[] = [
    {
      kind: "route",
      name: "models",
      add: (c) => c.routes.push({ name: "models", match: { path: "/v1/models", methods: ["GET"] }, auth: ["keys"], upstream: "openai" }),
      remove: (c) => (c.routes = c.routes.filter((r: Config) => r.name !== "svc")),
      change: (c) => (c.routes[0].timeoutMs = 30000),
      path: "timeoutMs",
    },
    {
      kind: "upstream",
      name: "mock",
      add: (c) => c.upstreams.push({ name: "mock", type: "mock" }),
      remove: (c) => {
        c.upstreams = c.upstreams.filter((u: Config) => u.name !== "claude");
        c.pricing = c.pricing.filter((p: Config) => !p.model.startsWith("claude"));
      },
      change: (c) => (c.upstreams[0].timeouts = { connectMs: 1000 }),
      path: "timeouts.connectMs",
    },
    {
      kind: "auth",
      name: "sso",
      add: (c) => c.auth.push({ name: "sso", type: "oidc", issuer: "https://accounts.example.com", audience: "aigw" }),
      remove: (c) => {
        c.auth = c.auth.filter((a: Config) => a.name !== "corp");
        c.routes[0].auth = ["keys"];
      },
      change: (c) => (c.auth[1].issuer = "https://auth2.example.com/"),
      path: "issuer",
    },
    {
      kind: "consumer",
      name: "gamma",
      add: (c) => c.consumers.push({ name: "gamma", rateLimits: ["rpm"] }),
      remove: (c) => (c.consumers = c.consumers.filter((x: Config) => x.name !== "beta")),
      change: (c) => (c.consumers[0].scopes = ["chat", "embeddings"]),
      path: "scopes",
    },
    {
      kind: "rateLimit",
      name: "burst",
      add: (c) => c.rateLimits.push({ name: "burst", limit: 10, window: "1s", key: "ip" }),
      remove: (c) => {
        c.rateLimits = c.rateLimits.filter((r: Config) => r.name !== "global");
        c.gateway.rateLimits = [];
      },
      change: (c) => (c.rateLimits[0].algorithm = "fixed_window"),
      path: "algorithm",
    },
    {
      kind: "plugin",
      name: "cors",
      add: (c) => c.gateway.plugins.push({ name: "cors", config: { origins: ["https://app.example.com"] } }),
      remove: (c) => (c.gateway.plugins = []),
      change: (c) => (c.gateway.plugins[0].config.maxBytes = 2048),
      path: "config.maxBytes",
    },
    {
      kind: "pricing",
      name: "gpt-4o-mini*",
      add: (c) => c.pricing.push({ model: "gpt-4o-mini*", input: 0.15, output: 0.6 }),
      remove: (c) => (c.pricing = c.pricing.filter((p: Config) => p.model !== "claude-sonnet-4-5*")),
      change: (c) => (c.pricing[0].output = 20),
      path: "output",
    },
  ];

  for (const k of cases) {
    it(`${k.kind}: add, remove, change`, () => {
      const added = planOf(baseConfig(), edited(k.add));
      expect(added.summary).toMatchObject({ add: 1, change: 0, remove: 0 });
      const a = only(added, k.kind, k.name);
      expect(a.action).toBe("add");
      expect(a.fields.length).toBeGreaterThan(0);
      expect(a.fields.every((f) => f.before === null && f.after !== null)).toBe(true);

      const removed = planOf(baseConfig(), edited(k.remove));
      const r = removed.changes.find((c) => c.kind === k.kind && c.action === "remove");
      expect(r, JSON.stringify(removed.changes)).toBeDefined();
      expect(r!.fields.every((f) => f.after === null && f.before !== null)).toBe(true);

      const changed = planOf(baseConfig(), edited(k.change));
      expect(changed.summary).toMatchObject({ add: 0, change: 1, remove: 0 });
      const c = changed.changes[0]!;
      expect(c.kind).toBe(k.kind);
      expect(c.action).toBe("change");
      expect(c.fields.map((f) => f.path)).toContain(k.path);
    });
  }

  it("server sections: a changed field, named after its top-level key", () => {
    const result = planOf(baseConfig(), edited((c) => (c.server.limits = { maxBodyBytes: 1024 })));
    expect(result.changes).toEqual([
      { kind: "server", name: "server", action: "change", risk: "low", fields: [field("limits.maxBodyBytes", 10485760, 1024)], notes: [] },
    ]);
    const state = planOf(baseConfig(), edited((c) => (c.state = { redis: { url: "redis://cache:6379" } })));
    const s = only(state, "server", "state");
    expect(s.fields.map((f) => f.path)).toEqual(["redis"]);
    expect(s.notes.join("\n")).toMatch(/shared by the replicas/);
    const lint = planOf(baseConfig(), edited((c) => (c.lint = { rules: { "route.no-rate-limit": "off" } })));
    expect(only(lint, "server", "lint").fields).toEqual([field("rules", null, { "route.no-rate-limit": "off" })]);
    const lint2 = planOf(edited((c) => (c.lint = { rules: { "route.no-rate-limit": "off" } })), edited((c) => (c.lint = { rules: { "route.no-rate-limit": "error" } })));
    expect(only(lint2, "server", "lint").fields).toEqual([field('rules["route.no-rate-limit"]', "off", "error")]);
    const gw = planOf(baseConfig(), edited((c) => (c.gateway.rateLimits = ["global", "rpm"])));
    expect(only(gw, "server", "gateway").fields).toEqual([field("rateLimits", ["global"], ["global", "rpm"])]);
  });

  it("server sections: added and removed (an older gateway without a section)", () => {
    const now = canonicalOf(baseConfig());
    const { defaults: _d, ...older } = now;
    const added = planConfigs(older, now, { impact: true });
    expect(added.changes).toEqual([{ kind: "server", name: "defaults", action: "add", risk: "low", fields: [field("maxTokens", null, 4096)], notes: [] }]);
    const removed = planConfigs(now, older, { impact: true });
    expect(removed.changes[0]).toMatchObject({ kind: "server", name: "defaults", action: "remove", fields: [field("maxTokens", 4096, null)] });
    const { version: _v, ...noVersion } = now;
    expect(planConfigs(noVersion, now, { impact: false }).changes[0]).toMatchObject({ name: "version", fields: [field("version", null, 1)] });
  });

  it("moving objects in the file is no change", () => {
    const moved = edited((c) => {
      c.routes.reverse();
      c.upstreams.reverse();
      c.consumers.reverse();
      c.rateLimits.reverse();
      c.pricing.reverse();
    });
    expect(planOf(baseConfig(), moved).changes).toEqual([]);
  });
});

describe("diff: field change types", () => {
  it("scalar", () => {
    const c = only(planOf(baseConfig(), edited((x) => (x.routes[0].timeoutMs = 5000))), "route", "chat");
    expect(c.fields).toEqual([field("timeoutMs", 60000, 5000)]);
  });

  it("list of scalars: one field with both lists; order does not count for sets", () => {
    const c = only(planOf(baseConfig(), edited((x) => (x.routes[1].match.methods = ["GET"]))), "route", "svc");
    expect(c.fields).toEqual([field("match.methods", ["GET", "POST"], ["GET"])]);
    expect(planOf(baseConfig(), edited((x) => (x.routes[1].match.methods = ["POST", "GET"]))).changes).toEqual([]);
  });

  it("ordered lists (fallback) count their order", () => {
    const base = edited((x) => (x.routes[0].fallback = ["claude", "svc"]));
    const c = only(planOf(base, edited((x) => (x.routes[0].fallback = ["svc", "claude"]), base)), "route", "chat");
    expect(c.fields).toEqual([field("fallback", ["claude", "svc"], ["svc", "claude"])]);
  });

  it("nested objects: a path in YAML terms", () => {
    const c = only(planOf(baseConfig(), edited((x) => (x.routes[0].match.path = "/v1/completions"))), "route", "chat");
    expect(c.fields).toEqual([field("match.path", "/v1/chat/completions", "/v1/completions")]);
    const h = only(planOf(baseConfig(), edited((x) => (x.routes[1].match.headers["x-team"] = "ml"))), "route", "svc");
    expect(h.fields).toEqual([field("match.headers.x-team", "analytics", "ml")]);
  });

  it("added and removed fields: null on the missing side", () => {
    const added = only(planOf(baseConfig(), edited((x) => (x.routes[0].cache = { ttl: "5m" }))), "route", "chat");
    expect(added.fields).toEqual([field("cache", null, { force: false, scope: "consumer", ttl: "5m" })]);
    const removed = only(planOf(baseConfig(), edited((x) => delete x.routes[0].timeoutMs)), "route", "chat");
    expect(removed.fields).toEqual([field("timeoutMs", 60000, null)]);
  });

  it("lists of objects: matched by id, an in-place edit as targets[0].url, inserts and removals by index", () => {
    const url = only(planOf(baseConfig(), edited((x) => (x.upstreams[0].targets[0].url = "https://eu.api.openai.com"))), "upstream", "openai");
    expect(url.fields).toEqual([field("targets[0].url", "https://api.openai.com", "https://eu.api.openai.com")]);
    const inserted = only(planOf(baseConfig(), edited((x) => x.upstreams[2].targets.unshift({ url: "http://svc-0.internal:8080", weight: 2 }))), "upstream", "svc");
    expect(inserted.fields).toEqual([field("targets[0]", null, { url: "http://svc-0.internal:8080", weight: 2 })]);
    const weight = only(planOf(baseConfig(), edited((x) => (x.upstreams[2].targets[1].weight = 5))), "upstream", "svc");
    expect(weight.fields).toEqual([field("targets[1].weight", 1, 5)]);
    const dropped = only(planOf(baseConfig(), edited((x) => x.upstreams[2].targets.shift())), "upstream", "svc");
    expect(dropped.fields).toEqual([field("targets[0]", { url: "http://svc-1.internal:8080", weight: 1 }, null)]);
    const reordered = only(planOf(baseConfig(), edited((x) => x.upstreams[2].targets.reverse())), "upstream", "svc");
    expect(reordered.fields).toEqual([field("targets[*].url", ["http://svc-1.internal:8080", "http://svc-2.internal:8080"], ["http://svc-2.internal:8080", "http://svc-1.internal:8080"])]);
  });

  it("route plugins are fields of the route, matched by name", () => {
    const c = only(planOf(baseConfig(), edited((x) => (x.routes[1].plugins[0].config.set["x-team"] = "ml"))), "route", "svc");
    expect(c.fields).toEqual([field("plugins[0].config.set.x-team", "analytics", "ml")]);
    const added = only(planOf(baseConfig(), edited((x) => x.routes[1].plugins.unshift({ name: "ip-allow", config: { cidrs: ["10.0.0.0/8"] } }))), "route", "svc");
    expect(added.fields).toEqual([field("plugins[0]", null, { config: { cidrs: ["10.0.0.0/8"] }, name: "ip-allow", parallel: false, priority: 0 })]);
  });
});

describe("diff: renames", () => {
  it("an object whose body is unchanged but its name is one change with a name field", () => {
    const result = planOf(baseConfig(), edited((c) => (c.routes[1].name = "analytics")));
    expect(result.summary).toEqual({ add: 0, change: 1, remove: 0, highRisk: 0 });
    expect(result.changes).toEqual([{ kind: "route", name: "analytics", action: "change", risk: "low", fields: [field("name", "svc", "analytics")], notes: ["renamed from svc"] }]);
  });

  it("a renamed upstream: its routes show the reference change, low risk (same pool)", () => {
    const before = edited((c) => (c.routes[0].fallback = ["claude"]));
    const result = planOf(
      before,
      edited((c) => {
        c.upstreams[1].name = "anthropic";
        c.routes[0].fallback = ["anthropic"];
      }, before),
    );
    expect(only(result, "upstream", "anthropic").notes).toEqual(["renamed from claude"]);
    const route = only(result, "route", "chat");
    expect(route.fields).toEqual([field("fallback", ["claude"], ["anthropic"])]);
    expect(route.risk).toBe("low");
  });

  it("pricing renames by model; a rename with another change is a removal and an addition", () => {
    const renamed = planOf(baseConfig(), edited((c) => (c.pricing[1].model = "claude-*")));
    expect(only(renamed, "pricing", "claude-*")).toMatchObject({ action: "change", notes: ["renamed from claude-sonnet-4-5*"] });
    const both = planOf(baseConfig(), edited((c) => {
      c.routes[1].name = "analytics";
      c.routes[1].timeoutMs = 1000;
    }));
    expect(both.summary).toMatchObject({ add: 1, change: 0, remove: 1 });
  });

  it("gateway plugins are never renames", () => {
    const result = planOf(baseConfig(), edited((c) => (c.gateway.plugins[0] = { name: "max-tokens", config: { limit: 1000 } })));
    expect(result.summary).toMatchObject({ add: 1, remove: 1 });
  });
});

describe("diff: secrets", () => {
  it("a template on one side and a redacted value on the other is no change", () => {
    const env = { OPENAI_API_KEY: "sk-live-0123456789abcdef", ACME_KEY: "acme-key-0123456789", ANTHROPIC_API_KEY: "sk-ant-0123456789" };
    const live = canonicalOf(baseConfig(), env);
    const ci = canonicalOf(baseConfig());
    expect(JSON.stringify(live)).not.toEqual(JSON.stringify(ci));
    expect(diffConfigs(live, ci)).toEqual([]);
    expect(diffConfigs(ci, live)).toEqual([]);
  });

  it("the diff model itself holds no secret, only <redacted:…> forms", () => {
    const env = { OPENAI_API_KEY: "sk-live-0123456789abcdef", ACME_KEY: "acme-key-0123456789", ACME2_KEY: "acme2-key-0123456789" };
    const after = edited((c) => {
      c.upstreams[0].credentials.apiKey = "${OPENAI_API_KEY_2}";
      c.auth[0].keys.push({ id: "acme-2", consumer: "acme", value: "${ACME2_KEY}" });
    });
    const result = planOf(baseConfig(), after, { ...env, OPENAI_API_KEY_2: "sk-live-fedcba9876543210" });
    const json = JSON.stringify(result);
    expect(json).toMatch(/<redacted:[0-9a-f]{8}>/);
    for (const secret of [...Object.values(env), "sk-live-fedcba9876543210"]) expect(json).not.toContain(secret);
  });

  it("a template in a larger string matches the resolved value", () => {
    const old = edited((c) => (c.upstreams[2].targets[0].url = "http://${SVC_HOST}:8080"));
    const result = planConfigs(canonicalOf(old, { SVC_HOST: "svc-1.internal" }), canonicalOf(old), { impact: true });
    expect(result.changes).toEqual([]);
  });

  it("two different redacted values are a change, 'secret changed'; a changed variable name is a change", () => {
    const result = planConfigs(canonicalOf(baseConfig(), { OPENAI_API_KEY: "sk-old-0123456789" }), canonicalOf(baseConfig(), { OPENAI_API_KEY: "sk-new-0123456789" }), { impact: true });
    const c = only(result, "upstream", "openai");
    expect(c.fields).toHaveLength(1);
    expect(c.fields[0]!.path).toBe("credentials.apiKey");
    expect(c.fields[0]!.before).toMatch(/^<redacted:[0-9a-f]{8}>$/);
    expect(c.fields[0]!.after).toMatch(/^<redacted:[0-9a-f]{8}>$/);
    expect(c.notes).toContain("credentials.apiKey: secret changed");
    const renamedVar = planOf(baseConfig(), edited((x) => (x.upstreams[0].credentials.apiKey = "${OPENAI_KEY_V2}")));
    expect(only(renamedVar, "upstream", "openai").fields).toEqual([field("credentials.apiKey", "${OPENAI_API_KEY}", "${OPENAI_KEY_V2}")]);
  });
});

describe("aigw diff", () => {
  const changed = edited((c) => (c.routes[0].timeoutMs = 5000));

  it("prints the semantic diff and exits 0, with --exit-code 1 when they differ and 0 when not", async () => {
    const r = await runCli(["diff", "old.yaml", "new.yaml"], { files: files(changed) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Diff: 0 to add, 1 to change, 0 to remove\n/);
    expect(r.stdout).toContain("~ route chat\n    timeoutMs: 60000 → 5000\n");
    expect(r.stdout).not.toMatch(/risk/);
    expect((await runCli(["diff", "old.yaml", "new.yaml", "--exit-code"], { files: files(changed) })).code).toBe(1);
    const same = await runCli(["diff", "old.yaml", "new.yaml", "--exit-code"], { files: files(baseConfig()) });
    expect(same.code).toBe(0);
    expect(same.stdout).toBe("No differences between old.yaml and new.yaml.\n");
  });

  it("--format json prints {summary, changes} with {kind, name, action, risk, fields, notes}", async () => {
    const r = await runCli(["diff", "old.yaml", "new.yaml", "-f", "json"], { files: files(edited((c) => (c.routes[1].name = "analytics"))) });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["summary", "changes"]);
    expect(out.summary).toEqual({ add: 0, change: 1, remove: 0, highRisk: 0 });
    expect(Object.keys(out.changes[0])).toEqual(["kind", "name", "action", "risk", "fields", "notes"]);
    expect(out.changes[0].fields).toEqual([field("name", "svc", "analytics")]);
  });

  it("--format markdown: a heading, a table of changes and the fields, no risk", async () => {
    const r = await runCli(["diff", "old.yaml", "new.yaml", "-f", "markdown"], { files: files(changed) });
    expect(r.stdout).toContain("### Diff: 0 to add, 1 to change, 0 to remove\n");
    expect(r.stdout).toContain("| ✏️ change | route | `chat` | `timeoutMs` |");
    expect(r.stdout).toContain("| `timeoutMs` | `60000` | `5000` |");
    expect(r.stdout).not.toMatch(/risk/);
  });

  it("an invalid or missing input is exit 2 (never 1, even with --exit-code)", async () => {
    const bad = { "old.yaml": toYaml(baseConfig()), "new.yaml": "version: 1\nroutes: [{ name: r, upstream: nope }]\n" };
    const invalid = await runCli(["diff", "old.yaml", "new.yaml", "--exit-code"], { files: bad });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toMatch(/new\.yaml:2:\d+ error \[route\.upstream\.unknown\]/);
    expect(invalid.stderr).toBe("aigw: new.yaml is not a valid config\n");
    const missing = await runCli(["diff", "old.yaml", "nope.yaml", "--exit-code"], { files: files(baseConfig()) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read nope\.yaml/);
  });

  it("--help shows examples", async () => {
    const r = await runCli(["diff", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ aigw diff old\.yaml gateway\.yaml/);
  });
});

describe("diff: large configs", () => {
  it("replacing 2,000 routes takes well under a few seconds", () => {
    const routes = (tag: string) =>
      Array.from({ length: 2000 }, (_, i) => ({ name: `r${i}-${tag}`, match: { pathPrefix: `/svc${i % 100}/${tag}${i}`, methods: ["GET"] }, auth: i % 2 ? ["keys"] : undefined, upstream: "svc" }));
    const a = canonicalOf(edited((c) => (c.routes = routes("a"))));
    const b = canonicalOf(edited((c) => (c.routes = routes("b"))));
    const started = performance.now();
    const result = planConfigs(a, b, { impact: true });
    expect(result.summary).toMatchObject({ add: 2000, remove: 2000 });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
