/**
 * Issue 23, item 3: the config is code, and review commands do not run it.
 *
 * A pull request's gateway.yaml can name a custom plugin module, and
 * importing a module runs it. The attack: a change adds
 * `module: ./plugins/x.mjs` (or `../../anywhere.mjs`, or an absolute path,
 * or a symlink that leads out) and CI runs `aigw validate`, `lint`, `test`
 * or `plan --against <admin URL>` on it, with an admin token in its
 * environment. Before the fix every review command imported the module.
 *
 * Now: `validate`, `lint`, `diff`, `plan`, `routes`, `explain`, `test` and
 * `replay` import a module only with `--load-plugins`, and otherwise say so
 * (the info finding `plugin.module.not-loaded`, in every output format). A
 * module path outside the config's folder (`..` climbing out, an absolute
 * path, a symlink out) is the error `plugin.module.outside` at the
 * `module:` value, in every command including `serve`, unless
 * `--allow-plugin-path <dir>` names its folder. A `git:` revision's modules
 * are never imported.
 *
 * Every command runs as a real `bin/aigw` process (dist/). The module used
 * here appends a line to the file `AIGW_TEST_MARKER` names when it is
 * imported: the marker file existing is the module having run.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { ConfigDir } from "../helpers/config-dir.js";

const root = resolve(import.meta.dirname, "../..");
const AIGW = join(root, "bin/aigw");

/** The plugin: importing it leaves a line in $AIGW_TEST_MARKER; on serve, GET /marker is answered 418 by it. */
const MODULE = `import { appendFileSync } from "node:fs";
if (process.env.AIGW_TEST_MARKER) appendFileSync(process.env.AIGW_TEST_MARKER, \`imported by \${process.pid}\\n\`);
export default {
  name: "marker",
  schema: { type: "object", additionalProperties: false, required: ["level"], properties: { level: { type: "integer" } } },
  create(config) {
    return {
      request(ctx) {
        if (ctx.path === "/marker") return { status: 418, body: { plugin: "marker", level: config.level } };
      },
    };
  },
};
`;

/** A config whose one route runs the plugin `module` (an HTTP upstream nothing reaches: the plugin answers /marker). */
function gatewayYaml(module: string, config = "{ level: 1 }"): string {
  return `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
upstreams: [{ name: svc, type: http, targets: [{ url: "http://127.0.0.1:9" }] }]
routes:
  - name: all
    match: { pathPrefix: / }
    upstream: svc
    plugins:
      - name: marker
        module: ${JSON.stringify(module)}
        config: ${config}
`;
}

/** The same gateway without any custom plugin. */
const PLAIN_YAML = `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0" }
upstreams: [{ name: svc, type: http, targets: [{ url: "http://127.0.0.1:9" }] }]
routes:
  - name: all
    match: { pathPrefix: / }
    upstream: svc
`;

const CASES_YAML = `cases:
  - name: the marker path goes to the one route
    request: { method: GET, path: /marker }
    expect: { route: all, upstream: svc, status: 200 }
`;
const ACCESS_LOG = JSON.stringify({ type: "access", method: "GET", path: "/marker", route: "all", upstream: "svc", status: 200 }) + "\n";

/** 1-based line and column where `needle` starts in `text` (after the first `after`). */
function position(text: string, needle: string, after = ""): { line: number; column: number } {
  const offset = text.indexOf(needle, after === "" ? 0 : text.indexOf(after));
  expect(offset).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** Where a config's `module:` value starts. */
const modulePosition = (text: string): { line: number; column: number } => position(text, '"', "module: ");

interface Workspace {
  /** The temp folder: `cfg/` (configs, `plugins/marker.mjs`, cases, access log) and `outside/marker.mjs`. */
  dir: string;
  cfg: string;
  outside: string;
  /** The file the module writes when imported (absent until then). */
  marker: string;
  env: Record<string, string>;
  /** Writes `cfg/<name>` and returns its text. */
  write(name: string, text: string): string;
  imported(): boolean;
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
const gateways: ChildGateway[] = [];

afterEach(async () => {
  for (const g of gateways.splice(0)) {
    if (g.child.exitCode === null) g.child.kill("SIGTERM");
    await g.exited;
  }
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspace(): Workspace {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "aigw-plugins-review-")));
  dirs.push(dir);
  const cfg = join(dir, "cfg");
  const outside = join(dir, "outside");
  mkdirSync(join(cfg, "plugins"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(cfg, "plugins", "marker.mjs"), MODULE);
  writeFileSync(join(outside, "marker.mjs"), MODULE);
  writeFileSync(join(cfg, "cases.yaml"), CASES_YAML);
  writeFileSync(join(cfg, "access.jsonl"), ACCESS_LOG);
  writeFileSync(join(cfg, "plain.yaml"), PLAIN_YAML);
  const marker = join(dir, "imported.txt");
  return {
    dir,
    cfg,
    outside,
    marker,
    env: { AIGW_TEST_MARKER: marker },
    write(name, text) {
      writeFileSync(join(cfg, name), text);
      return text;
    },
    imported: () => existsSync(marker),
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/aigw <args>` as a process in `cwd`, with only PATH and `env` in its environment. */
function aigw(args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [AIGW, ...args], { cwd, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolveRun({ code, stdout, stderr }));
  });
}

interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
  hint?: string;
}

const NOT_LOADED = "plugin.module.not-loaded";
const OUTSIDE = "plugin.module.outside";

/** The eight review commands on `gateway.yaml` (diff and plan against `old.yaml`), all answering 0 on the workspace's configs. */
const REVIEW_COMMANDS: [string, string[]][] = [
  ["validate", ["validate", "gateway.yaml"]],
  ["lint", ["lint", "gateway.yaml"]],
  ["diff", ["diff", "old.yaml", "gateway.yaml"]],
  ["plan", ["plan", "gateway.yaml", "--against", "old.yaml"]],
  ["routes", ["routes", "gateway.yaml"]],
  ["explain", ["explain", "gateway.yaml", "--path", "/marker"]],
  ["test", ["test", "gateway.yaml", "cases.yaml"]],
  ["replay", ["replay", "gateway.yaml", "access.jsonl"]],
];

describe("review commands do not run plugin code", () => {
  it.each(REVIEW_COMMANDS)("%s (text and json): succeeds, never runs the module, and says it was not loaded", async (_name, args) => {
    const ws = workspace();
    const text = ws.write("gateway.yaml", gatewayYaml("./plugins/marker.mjs"));
    ws.write("old.yaml", gatewayYaml("./plugins/marker.mjs", "{ level: 0 }"));
    const { line, column } = modulePosition(text);

    const plain = await aigw(args, ws.cfg, ws.env);
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    expect(ws.imported()).toBe(false);
    expect(plain.stdout).toContain(
      `gateway.yaml:${line}:${column} info [${NOT_LOADED}] plugin "marker": module "./plugins/marker.mjs" was not loaded (review commands do not run plugin code)`,
    );

    const json = await aigw([...args, "--format", "json"], ws.cfg, ws.env);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    expect(ws.imported()).toBe(false);
    const doc = JSON.parse(json.stdout) as { findings?: Finding[] };
    expect(doc.findings).toEqual(expect.arrayContaining([expect.objectContaining({ file: "gateway.yaml", line, column, rule: NOT_LOADED, severity: "info" })]));
    expect(doc.findings!.every((f) => f.severity !== "error")).toBe(true);
  });

  it("validate and lint say it in github and sarif too; test in junit; plan in markdown", async () => {
    const ws = workspace();
    const text = ws.write("gateway.yaml", gatewayYaml("./plugins/marker.mjs"));
    ws.write("old.yaml", gatewayYaml("./plugins/marker.mjs", "{ level: 0 }"));
    const { line, column } = modulePosition(text);

    for (const cmd of ["validate", "lint"]) {
      const github = await aigw([cmd, "gateway.yaml", "--format", "github"], ws.cfg, ws.env);
      expect(github.code).toBe(0);
      expect(github.stdout).toContain(`::notice file=gateway.yaml,line=${line},col=${column},title=${NOT_LOADED}::plugin "marker": module "./plugins/marker.mjs" was not loaded`);

      const sarif = await aigw([cmd, "gateway.yaml", "--format", "sarif"], ws.cfg, ws.env);
      expect(sarif.code).toBe(0);
      const log = JSON.parse(sarif.stdout) as {
        runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[] }[] }[];
      };
      const result = log.runs[0]!.results.find((r) => r.ruleId === NOT_LOADED);
      expect(result?.level).toBe("note");
      expect(result?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: "gateway.yaml" }, region: { startLine: line, startColumn: column } });
    }

    const junit = await aigw(["test", "gateway.yaml", "cases.yaml", "--format", "junit"], ws.cfg, ws.env);
    expect(junit.code).toBe(0);
    expect(junit.stdout).toMatch(/^<\?xml /);
    expect(junit.stdout).toContain(
      `<property name="finding" value="gateway.yaml:${line}:${column} info [${NOT_LOADED}] plugin &quot;marker&quot;: module &quot;./plugins/marker.mjs&quot; was not loaded`,
    );

    const markdown = await aigw(["plan", "gateway.yaml", "--against", "old.yaml", "--format", "markdown"], ws.cfg, ws.env);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout.startsWith("<!-- aigw-plan -->\n")).toBe(true);
    const notes = markdown.stdout.slice(markdown.stdout.indexOf("**Notes**"));
    expect(markdown.stdout.indexOf("**Notes**")).toBeGreaterThan(0);
    expect(notes).toContain(`gateway.yaml:${line}:${column} info [${NOT_LOADED}] plugin "marker"`);
    expect(notes).toContain(`old.yaml:${line}:${column} info [${NOT_LOADED}] plugin "marker"`);

    expect(ws.imported()).toBe(false);
  }, 60_000);

  it("a git revision is never imported, even with --load-plugins", async () => {
    const ws = workspace();
    const text = ws.write("gateway.yaml", gatewayYaml("./plugins/marker.mjs"));
    const git = (...args: string[]): void => void execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: ws.cfg, stdio: "pipe" });
    git("init", "-q", "-b", "main");
    git("add", "gateway.yaml", "plugins/marker.mjs");
    git("commit", "-q", "-m", "a config with a custom plugin");
    // The proposed change drops the plugin: only the git side names a module.
    ws.write("proposed.yaml", PLAIN_YAML);

    // A guard (held before the fix too): a plan against a git revision does not import its modules.
    const plain = await aigw(["plan", "proposed.yaml", "--against", "git:HEAD:gateway.yaml", "--format", "json"], ws.cfg, ws.env);
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    expect(ws.imported()).toBe(false);

    // --load-plugins opens the working tree's files, never a revision's (the file on disk is not that revision's).
    const loaded = await aigw(["plan", "proposed.yaml", "--against", "git:HEAD:gateway.yaml", "--format", "json", "--load-plugins"], ws.cfg, ws.env);
    expect(loaded.stderr).toBe("");
    expect(loaded.code).toBe(0);
    expect(ws.imported()).toBe(false);
    const doc = JSON.parse(loaded.stdout) as { changes: { kind: string; name: string }[]; findings?: Finding[] };
    expect(doc.changes.length).toBeGreaterThan(0);
    const { line, column } = modulePosition(text);
    expect(doc.findings).toEqual([
      expect.objectContaining({ file: "git:HEAD:gateway.yaml", line, column, rule: NOT_LOADED, severity: "info", hint: expect.stringContaining("never imported, even with --load-plugins") }),
    ]);

    const diff = await aigw(["diff", "git:HEAD:gateway.yaml", "proposed.yaml", "--load-plugins"], ws.cfg, ws.env);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`git:HEAD:gateway.yaml:${line}:${column} info [${NOT_LOADED}]`);
    expect(ws.imported()).toBe(false);
  }, 30_000);

  it("with --load-plugins, validate imports the module and checks its config against its schema", async () => {
    const ws = workspace();
    ws.write("gateway.yaml", gatewayYaml("./plugins/marker.mjs"));
    const good = await aigw(["validate", "gateway.yaml", "--load-plugins", "--format", "json"], ws.cfg, ws.env);
    expect(good.stderr).toBe("");
    expect(JSON.parse(good.stdout)).toEqual({ ok: true, findings: [] });
    expect(good.code).toBe(0);
    expect(ws.imported()).toBe(true);

    const bad = ws.write("bad.yaml", gatewayYaml("./plugins/marker.mjs", '{ level: "high" }'));
    const r = await aigw(["validate", "bad.yaml", "--load-plugins", "--format", "json"], ws.cfg, ws.env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
    expect(doc.ok).toBe(false);
    expect(doc.findings).toEqual([expect.objectContaining({ file: "bad.yaml", ...position(bad, '"high"'), rule: "schema.type", severity: "error" })]);
  });
});

/** The ways a `module:` path can leave the config's folder; each is set up in `ws` and returns the path to write. */
const WAYS_OUT: { kind: string; reason: RegExp; setup: (ws: Workspace) => string }[] = [
  { kind: "`..`", reason: /climbs out of the config file's directory/, setup: () => "../outside/marker.mjs" },
  { kind: "an absolute path", reason: /is an absolute path outside every --allow-plugin-path directory/, setup: (ws) => join(ws.outside, "marker.mjs") },
  {
    kind: "a symlinked file",
    reason: /resolves through a symlink to .*, outside the config file's directory/,
    setup: (ws) => {
      symlinkSync(join(ws.outside, "marker.mjs"), join(ws.cfg, "plugins", "link.mjs"));
      return "./plugins/link.mjs";
    },
  },
  {
    kind: "a symlinked folder",
    reason: /resolves through a symlink to .*, outside the config file's directory/,
    setup: (ws) => {
      symlinkSync(ws.outside, join(ws.cfg, "vendor"));
      return "./vendor/marker.mjs";
    },
  },
];

describe("module paths stay in the config's folder", () => {
  it.each(WAYS_OUT)("`..`, an absolute path or a symlink out: a validate error at the module's line and column, never imported ($kind)", async ({ setup, reason }) => {
    const ws = workspace();
    const module = setup(ws);
    const text = ws.write("gateway.yaml", gatewayYaml(module));
    const { line, column } = modulePosition(text);

    const plain = await aigw(["validate", "gateway.yaml"], ws.cfg, ws.env);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(`gateway.yaml:${line}:${column} error [${OUTSIDE}] plugin "marker": module ${JSON.stringify(module)} `);
    expect(plain.stdout).toMatch(reason);
    expect(ws.imported()).toBe(false);

    // Asking to load plugins does not open the door.
    const loaded = await aigw(["validate", "gateway.yaml", "--load-plugins", "--format", "json"], ws.cfg, ws.env);
    expect(loaded.code).toBe(1);
    const doc = JSON.parse(loaded.stdout) as { ok: boolean; findings: Finding[] };
    expect(doc.ok).toBe(false);
    expect(doc.findings).toEqual([expect.objectContaining({ file: "gateway.yaml", line, column, rule: OUTSIDE, severity: "error", message: expect.stringMatching(reason) })]);
    expect(ws.imported()).toBe(false);
  });

  it("every review command refuses it, plan's base side included", async () => {
    const ws = workspace();
    const text = ws.write("outside.yaml", gatewayYaml("../outside/marker.mjs"));
    const { line, column } = modulePosition(text);
    const finding = `outside.yaml:${line}:${column} error [${OUTSIDE}] plugin "marker": module "../outside/marker.mjs" climbs out of the config file's directory`;
    // plain.yaml names no module: whatever it loads, only outside.yaml could run the marker.
    const commands: [string[], number][] = [
      [["validate", "outside.yaml"], 1],
      [["lint", "outside.yaml"], 1],
      [["routes", "outside.yaml"], 1],
      [["explain", "outside.yaml", "--path", "/marker"], 1],
      [["test", "outside.yaml", "cases.yaml"], 1],
      [["replay", "outside.yaml", "access.jsonl"], 1],
      [["diff", "plain.yaml", "outside.yaml"], 2],
      [["diff", "outside.yaml", "plain.yaml"], 2],
      [["plan", "outside.yaml", "--against", "plain.yaml"], 2],
      [["plan", "plain.yaml", "--against", "outside.yaml"], 2],
    ];
    for (const [args, code] of commands) {
      // Text, as CI logs show it; then JSON with --load-plugins, which changes nothing for a module outside.
      const text = await aigw(args, ws.cfg, ws.env);
      expect({ args, code: text.code }).toEqual({ args, code });
      expect(text.stdout).toContain(finding);
      expect(ws.imported()).toBe(false);

      const json = await aigw([...args, "--format", "json", "--load-plugins"], ws.cfg, ws.env);
      expect({ args, code: json.code }).toEqual({ args, code });
      const doc = JSON.parse(json.stdout) as { ok: boolean; findings: Finding[] };
      expect(doc.ok).toBe(false);
      expect(doc.findings).toContainEqual(expect.objectContaining({ file: "outside.yaml", line, column, rule: OUTSIDE, severity: "error" }));
      expect(ws.imported()).toBe(false);
    }
  }, 120_000);

  it("accepted with --allow-plugin-path naming its folder, and imported only with --load-plugins", async () => {
    const ws = workspace();
    const text = ws.write("gateway.yaml", gatewayYaml("../outside/marker.mjs"));
    ws.write("absolute.yaml", gatewayYaml(join(ws.outside, "marker.mjs")));
    const { line, column } = modulePosition(text);

    // Another folder is not its folder.
    const elsewhere = await aigw(["validate", "gateway.yaml", "--allow-plugin-path", "plugins", "--format", "json"], ws.cfg, ws.env);
    expect(elsewhere.code).toBe(1);
    expect((JSON.parse(elsewhere.stdout) as { findings: Finding[] }).findings).toEqual([expect.objectContaining({ rule: OUTSIDE, line, column })]);

    // Named (relative to the working directory, or absolute): accepted, and still not imported without --load-plugins.
    for (const args of [
      ["validate", "gateway.yaml", "--allow-plugin-path", "../outside"],
      ["validate", "absolute.yaml", "--allow-plugin-path", ws.outside],
      ["routes", "gateway.yaml", "--allow-plugin-path", "plugins", "--allow-plugin-path", ws.outside],
    ]) {
      const r = await aigw([...args, "--format", "json"], ws.cfg, ws.env);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
      expect(findings).toEqual([expect.objectContaining({ rule: NOT_LOADED, severity: "info", line, column })]);
      expect(ws.imported()).toBe(false);
    }

    const loaded = await aigw(["validate", "gateway.yaml", "--allow-plugin-path", "../outside", "--load-plugins", "--format", "json"], ws.cfg, ws.env);
    expect(JSON.parse(loaded.stdout)).toEqual({ ok: true, findings: [] });
    expect(loaded.code).toBe(0);
    expect(ws.imported()).toBe(true);

    // A folder that is not there is a usage error, not a silent no-op.
    const missing = await aigw(["validate", "gateway.yaml", "--allow-plugin-path", "../nope"], ws.cfg, ws.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("aigw: --allow-plugin-path ../nope: not a directory\n");
  }, 60_000);
});

/** Runs `bin/aigw serve` until it either listens (then it is stopped) or exits. */
function serveOutcome(configFile: string, env: Record<string, string>, args: string[] = []): Promise<{ listening: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveOutcome, reject) => {
    const child = spawn(process.execPath, [AIGW, "serve", "--config", configFile, "--no-watch", ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    let listening = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!listening && stdout.includes('"msg":"aigw listening"')) {
        listening = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolveOutcome({ listening, code, stdout, stderr }));
  });
}

describe("serve", () => {
  it("serve refuses to start with a module outside, and never imports it", async () => {
    for (const way of WAYS_OUT.slice(0, 3)) {
      const ws = workspace();
      const module = way.setup(ws);
      const text = ws.write("gateway.yaml", gatewayYaml(module));
      const { line, column } = modulePosition(text);
      const r = await serveOutcome(join(ws.cfg, "gateway.yaml"), ws.env);
      expect({ way: way.kind, listening: r.listening }).toEqual({ way: way.kind, listening: false });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(ws.cfg, "gateway.yaml")}:${line}:${column} error [${OUTSIDE}] plugin "marker": module ${JSON.stringify(module)} `);
      expect(r.stderr).toContain("aigw: the config is invalid; not starting");
      expect(ws.imported()).toBe(false);
    }
  }, 60_000);

  it("serve loads a module through a ConfigMap's `..data` symlinks (they stay inside the config's folder)", async () => {
    const ws = workspace();
    // As kubelet mounts a ConfigMap with the keys gateway.yaml and marker.mjs: each a symlink through ..data.
    const cm = new ConfigDir("configmap", gatewayYaml("./marker.mjs"));
    dirs.push(cm.dir);
    writeFileSync(join(cm.dir, "..data", "marker.mjs"), MODULE);
    symlinkSync(join("..data", "marker.mjs"), join(cm.dir, "marker.mjs"));

    // Not a regression test (this worked before the fix): it guards the fix against refusing ConfigMap mounts.
    const validate = await aigw(["validate", "gateway.yaml", "--format", "json"], cm.dir, ws.env);
    expect(validate.code).toBe(0);
    expect((JSON.parse(validate.stdout) as { findings: Finding[] }).findings.filter((f) => f.severity === "error")).toEqual([]);

    const gw = await spawnGateway(cm.file, ws.env);
    gateways.push(gw);
    const res = await fetch(`${gw.dataUrl}/marker`);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ plugin: "marker", level: 1 });
    expect(ws.imported()).toBe(true);
  }, 30_000);

  it.each([[[]], [["--workers", "2"]]])("serve %j accepts a module outside with --allow-plugin-path naming its folder", async (extra: string[]) => {
    const ws = workspace();
    ws.write("gateway.yaml", gatewayYaml("../outside/marker.mjs"));
    const gw = await spawnGateway(join(ws.cfg, "gateway.yaml"), ws.env, [...extra, "--allow-plugin-path", ws.outside]);
    gateways.push(gw);
    const res = await fetch(`${gw.dataUrl}/marker`);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ plugin: "marker", level: 1 });
    expect(ws.imported()).toBe(true);
  }, 30_000);
});

describe("the path checker (src/plugins/paths.ts)", () => {
  it("checkPluginPath: inside the config's folder as written and once symlinks are resolved, or inside an allowed folder", async () => {
    // Imported here, not at the top: the module is new with the fix.
    const { checkPluginPath, pluginPaths } = await import("../../src/plugins/paths.js");
    const ws = workspace();
    const t = ws.dir;
    const cfg = ws.cfg;
    symlinkSync(join(ws.outside, "marker.mjs"), join(cfg, "link.mjs"));
    symlinkSync(join("plugins", "marker.mjs"), join(cfg, "inner-link.mjs"));
    symlinkSync(ws.outside, join(cfg, "vendor"));
    symlinkSync(cfg, join(t, "cfg-link"));
    mkdirSync(join(t, "cfg-evil"));
    mkdirSync(join(t, "out"));

    const paths = pluginPaths(cfg);
    const ok = (module: string, p = paths) => checkPluginPath(module, p);
    expect(ok("./plugins/marker.mjs")).toEqual({ ok: true, file: join(cfg, "plugins/marker.mjs") });
    expect(ok("plugins/../plugins/marker.mjs")).toEqual({ ok: true, file: join(cfg, "plugins/marker.mjs") });
    // A symlink that stays inside is followed: the real file is what is imported.
    expect(ok("./inner-link.mjs")).toEqual({ ok: true, file: join(cfg, "plugins/marker.mjs") });
    // A file that is not there is judged by where it would be.
    expect(ok("./later/x.mjs")).toEqual({ ok: true, file: join(cfg, "later/x.mjs") });
    for (const [module, reason] of [
      ["../outside/marker.mjs", /climbs out/],
      ["./plugins/../../outside/marker.mjs", /climbs out/],
      ["../cfg-evil/x.mjs", /climbs out/], // a sibling whose name starts with the folder's
      [join(ws.outside, "marker.mjs"), /absolute path outside every --allow-plugin-path directory/],
      [join(cfg, "plugins/marker.mjs"), /absolute path/], // absolute is refused even inside: configs must not depend on the reviewer's layout
      ["./link.mjs", /resolves through a symlink to .*outside/],
      ["./vendor/marker.mjs", /resolves through a symlink to .*outside/],
    ] as const) {
      const v = ok(module);
      expect({ module, ok: v.ok }).toEqual({ module, ok: false });
      if (!v.ok) expect(v.reason).toMatch(reason);
    }

    // Allowed folders: resolved against the cwd, symlinks resolved; matched by segment, not by prefix.
    const allowed = pluginPaths(cfg, ["../outside"], cfg);
    for (const module of ["../outside/marker.mjs", join(ws.outside, "marker.mjs"), "./link.mjs", "./vendor/marker.mjs"]) {
      expect(ok(module, allowed)).toEqual({ ok: true, file: join(ws.outside, "marker.mjs") });
    }
    expect(ok("../outside/marker.mjs", pluginPaths(cfg, [join(t, "out")])).ok).toBe(false);

    // A config reached through a symlinked folder: relative paths inside still pass, symlinks out still fail.
    const viaLink = pluginPaths(join(t, "cfg-link"));
    expect(ok("./plugins/marker.mjs", viaLink)).toEqual({ ok: true, file: join(cfg, "plugins/marker.mjs") });
    expect(ok("./link.mjs", viaLink).ok).toBe(false);

    // Property: for any relative path of names, `.` and `..` (no symlinks on the way), accepted exactly when it stays in the folder.
    const prop = join(t, "prop");
    mkdirSync(prop);
    const propPaths = pluginPaths(prop);
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", ".", "..", "m.mjs"), { minLength: 1, maxLength: 8 }), fc.boolean(), (segments, dotSlash) => {
        const module = (dotSlash ? "./" : "") + segments.join("/");
        const target = resolve(prop, module);
        const rel = relative(prop, target);
        const inside = rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
        const verdict = checkPluginPath(module, propPaths);
        expect(verdict.ok).toBe(inside);
        if (verdict.ok) expect(verdict.file).toBe(target);
      }),
      { numRuns: 300 },
    );
  });
});

describe("CI examples", () => {
  it("the shipped CI pipelines never give --load-plugins to a command that runs on a pull request's config", () => {
    for (const file of ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"]) {
      const lines = readFileSync(join(root, file), "utf8")
        .split("\n")
        .filter((l) => !l.trim().startsWith("#"))
        .filter((l) => /\baigw (validate|lint|test|plan|diff|routes|explain|replay)\b/.test(l));
      // Not vacuous: each pipeline runs validate, lint, test and plan on the change.
      for (const cmd of ["validate", "lint", "test", "plan"]) expect({ file, cmd, found: lines.some((l) => l.includes(`aigw ${cmd} `)) }).toEqual({ file, cmd, found: true });
      expect({ file, offending: lines.filter((l) => l.includes("--load-plugins")) }).toEqual({ file, offending: [] });
    }
  });
});
