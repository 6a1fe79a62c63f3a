/**
 * Custom plugins (DESIGN.md 11): the example plugin (examples/plugins/tag-team.mjs),
 * written against the published type, type-checks, loads, has its config
 * validated at the config's own positions, runs, and a hook that throws
 * costs one request (500 in the error shape, counted), never the gateway.
 *
 * The review commands import modules only with `--load-plugins`, and only
 * from the config's folder (test/e2e/security-plugins-review.test.ts): these
 * tests copy the example modules next to their configs and pass the flag.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { runCli } from "../helpers/io.js";
import { until } from "../helpers/until.js";

const root = resolve(import.meta.dirname, "../..");
const EXAMPLE = join(root, "examples/plugins.yaml");
const TAG_TEAM = join(root, "examples/plugins/tag-team.mjs");
const dir = mkdtempSync(join(tmpdir(), "aigw-plugin-custom-"));
// The example's modules, next to the test configs (a module outside a config's folder is never loaded).
cpSync(join(root, "examples/plugins"), join(dir, "plugins"), { recursive: true });
const TAG_TEAM_HERE = "./plugins/tag-team.mjs";

interface Finding {
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
}
async function validate(file: string, strict = false): Promise<{ code: number; findings: Finding[] }> {
  const r = await runCli(["validate", file, "--format", "json", "--load-plugins", ...(strict ? ["--strict"] : [])]);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}
/** 1-based line and column of `needle` in `text` (its first occurrence after `after`). */
function position(text: string, needle: string, after = ""): { line: number; column: number } {
  const offset = text.indexOf(needle, after === "" ? 0 : text.indexOf(after));
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const children: ChildGateway[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.child.kill("SIGTERM");
    await c.exited;
  }
});

describe("the example plugin", () => {
  it("type-checks against the published type (import(\"aigw\").Plugin, JSDoc)", async () => {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const args = ["--noEmit", "--allowJs", "--checkJs", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--skipLibCheck", TAG_TEAM];
    await expect(promisify(execFile)(process.execPath, [tsc, ...args], { cwd: root })).resolves.toBeDefined();
  }, 60_000);

  it("examples/plugins.yaml validates: the module loads and its config matches the schema it exports", async () => {
    expect(await validate("examples/plugins.yaml", true)).toEqual({ code: 0, findings: [] });
  });

  it("a config that does not match the plugin's schema: errors at the config's own line and column", async () => {
    const file = join(dir, "bad-config.yaml");
    const text = `version: 1
upstreams: [{ name: mock, type: mock }]
routes:
  - name: chat
    upstream: mock
    plugins:
      - name: tag-team
        module: ${TAG_TEAM_HERE}
        config:
          teams: { alice: 42 }
          header: "X Team"
          fallbak: shared
`;
    writeFileSync(file, text);
    const { code, findings } = await validate(file);
    expect(code).toBe(1);
    const at = (f: Finding): string => `${f.line}:${f.column} ${f.rule}`;
    expect(findings.map(at).sort()).toEqual(
      [
        `${position(text, "42").line}:${position(text, "42").column} schema.type`,
        `${position(text, '"X Team"').line}:${position(text, '"X Team"').column} schema.pattern`,
        `${position(text, "fallbak").line}:${position(text, "fallbak").column} schema.unknown-key`,
      ].sort(),
    );
    const unknown = findings.find((f) => f.rule === "schema.unknown-key")!;
    expect(unknown.message).toBe('unknown key "fallbak" in routes[0].plugins[0].config; did you mean "fallback"?');
    expect(findings.find((f) => f.rule === "schema.type")!.message).toBe("routes[0].plugins[0].config.teams.alice must be a string, got an integer");
    // The text form points at the same place.
    const textRun = await runCli(["validate", file, "--load-plugins"]);
    expect(textRun.stdout).toContain(`${file}:10:27 error [schema.type]`);
  });

  it("a module that fails to load, or is not a plugin: plugin.module.invalid at `module`", async () => {
    writeFileSync(join(dir, "broken.mjs"), "throw new Error('boom at import');\n");
    writeFileSync(join(dir, "not-a-plugin.mjs"), "export default { name: 'x' };\n");
    const file = join(dir, "bad-modules.yaml");
    const text = `version: 1
upstreams: [{ name: mock, type: mock }]
routes:
  - name: chat
    upstream: mock
    plugins:
      - { name: broken, module: ./broken.mjs }
      - { name: odd, module: ./not-a-plugin.mjs }
`;
    writeFileSync(file, text);
    const { code, findings } = await validate(file);
    expect(code).toBe(1);
    expect(findings).toEqual([
      expect.objectContaining({ ...position(text, "./broken.mjs"), rule: "plugin.module.invalid", message: 'plugin "broken": module "./broken.mjs" failed to load: boom at import' }),
      expect.objectContaining({ ...position(text, "./not-a-plugin.mjs"), rule: "plugin.module.invalid", message: 'plugin "odd": module "./not-a-plugin.mjs" is not a plugin: its default export has no `create(config)` function' }),
    ]);
  });
});

describe("the example plugin in a running gateway", () => {
  it("runs its hooks; a throw answers 500 in the error shape, is counted, and the gateway goes on serving", async () => {
    const file = join(dir, "serve.yaml");
    writeFileSync(
      file,
      readFileSync(EXAMPLE, "utf8")
        .replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:0")
        .replace("admin: 127.0.0.1:9090", "admin: 127.0.0.1:0\n  shutdown: { drainDelayMs: 0, graceMs: 1000 }"),
    );
    const gw = await spawnGateway(file);
    children.push(gw);
    const chat = (key: string, content = "hello"): Promise<Response> =>
      fetch(`${gw.dataUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content }] }),
      });

    const ok = await chat("demo-key-alice", "mail alice@example.com");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-team")).toBe("search");
    expect(ok.headers.get("cache-control")).toBe("no-store");
    // The mock echoes the prompt it received: prompt-guard redacted it first.
    expect(((await ok.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain("mail [EMAIL]");

    const failed = await chat("demo-key-carol");
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: { message: "plugin tag-team failed", type: "server_error", param: null, code: "plugin_error" } });

    const again = await chat("demo-key-bob");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-team")).toBe("ads");
    await again.text();

    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^aigw_plugin_errors_total\{plugin="tag-team"\} 1$/m);
    // complete: the usage of each team is logged; the failure is logged with the plugin's name.
    const logged = (fields: Record<string, unknown>): boolean => gw.logs.some((l) => Object.entries(fields).every(([k, v]) => l[k] === v));
    await until(() => logged({ msg: "team usage", team: "ads" }) && logged({ msg: "team usage", team: "search" }), "both teams' usage lines");
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: "team usage", plugin: "tag-team", team: "search" }));
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: "team usage", plugin: "tag-team", team: "ads" }));
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: "plugin hook failed", plugin: "tag-team", level: "error" }));
  }, 30_000);

  it("a reload whose plugin config is invalid, or whose module cannot start, keeps the running config", async () => {
    const file = join(dir, "reload.yaml");
    const up = await new FakeUpstream().start();
    const config = (pluginYaml: string): string => `version: 1
server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, shutdown: { drainDelayMs: 0, graceMs: 1000 } }
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - name: svc
    upstream: svc
    plugins:
${pluginYaml}
`;
    writeFileSync(file, config(`      - { name: tag-team, module: ${TAG_TEAM_HERE}, config: { teams: {}, fallback: everyone } }`));
    const gw = await spawnGateway(file, {}, ["--no-watch"]);
    children.push(gw);
    try {
      expect((await fetch(`${gw.dataUrl}/x`)).status).toBe(200);
      expect(up.last.headers["x-team"]).toBe("everyone");

      const badConfig = config(`      - { name: tag-team, module: ${TAG_TEAM_HERE}, config: { teams: {}, fallback: "" } }`);
      writeFileSync(file, badConfig);
      const r1 = await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" });
      expect(r1.status).toBe(422);
      const rec1 = (await r1.json()) as { applied: boolean; findings: Finding[] };
      expect(rec1.applied).toBe(false);
      expect(rec1.findings).toEqual([expect.objectContaining({ rule: "schema.length", ...position(badConfig, '""') })]);

      writeFileSync(join(dir, "create-throws.mjs"), "export default { name: 'c', create() { throw new Error('cannot connect'); } };\n");
      writeFileSync(file, config(`      - { name: c, module: ./create-throws.mjs }`));
      const r2 = await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" });
      expect(r2.status).toBe(422);
      expect(((await r2.json()) as { error: string }).error).toContain("create() of");

      // Still the first config.
      expect((await fetch(`${gw.dataUrl}/x`)).status).toBe(200);
      expect(up.last.headers["x-team"]).toBe("everyone");
    } finally {
      await up.close();
    }
  }, 30_000);
});

describe("hooks that fail", () => {
  it("request (sync or async), response and complete failures: a 500 or a log line, a counter, never a crash", async () => {
    const faulty = join(dir, "faulty.mjs");
    writeFileSync(
      faulty,
      `export default {
  name: "faulty",
  schema: { type: "object", properties: { in: { enum: ["request", "request-async", "response", "complete"] } } },
  create(config) {
    const fail = (where) => { if (config.in === where) throw new Error("faulty " + where); };
    return {
      request() { fail("request"); if (config.in === "request-async") return Promise.reject(new Error("async")); },
      response() { fail("response"); },
      complete() { fail("complete"); },
    };
  },
};
`,
    );
    const up = await new FakeUpstream().start();
    const route = (name: string): string => `  - { name: ${name}, match: { pathPrefix: /${name} }, upstream: svc, plugins: [{ name: faulty, module: ./faulty.mjs, config: { in: ${name} } }] }`;
    const file = join(dir, "hooks.yaml");
    writeFileSync(
      file,
      `version: 1
server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, shutdown: { drainDelayMs: 0, graceMs: 1000 } }
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
${route("request")}
${route("request-async")}
${route("response")}
${route("complete")}
`,
    );
    const gw = await spawnGateway(file, {}, ["--no-watch"]);
    children.push(gw);
    try {
      for (const name of ["request", "request-async", "response"]) {
        const res = await fetch(`${gw.dataUrl}/${name}`);
        expect(res.status, name).toBe(500);
        expect(await res.json()).toEqual({ error: { code: "plugin_error", message: "plugin faulty failed" } });
      }
      // The upstream was reached only by the request whose response hook failed.
      expect(up.requests).toHaveLength(1);
      const complete = await fetch(`${gw.dataUrl}/complete`);
      expect(complete.status).toBe(200);
      await complete.text();
      // The complete hook runs after the answer: wait for its count to show.
      const counted = /^aigw_plugin_errors_total\{plugin="faulty"\} 4$/m;
      let metrics = "";
      await until(async () => {
        metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
        return counted.test(metrics);
      }, "the complete hook's failure counted");
      expect(metrics).toMatch(counted);
      expect((await fetch(`${gw.dataUrl}/complete`)).status).toBe(200);
    } finally {
      await up.close();
    }
  }, 30_000);
});
