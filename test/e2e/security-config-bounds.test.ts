/**
 * Issue 23, item 12: bounded config parsing.
 *
 * The attack: a small gateway.yaml whose YAML aliases expand to a huge
 * document. yaml's own guard counts aliases weighted by the aliases inside
 * what they name, so an alias of a big scalar, or of a list without aliases
 * inside, costs 1: a 61 KB file below that count expanded to 570 MB of text
 * and `aigw validate` died with `RangeError: Invalid string length` and a
 * stack trace. An alias inside the node it names (`&c { self: *c }`) made
 * the data circular and crashed it the same way (`Maximum call stack size
 * exceeded`), and nothing bounded the file itself.
 *
 * Now: a file over 10 MiB is `config.too-large` at 1:1 and never parsed;
 * aliases and merge keys may add at most 1,000,000 nodes or 32 MiB of
 * text, else `config.too-large` at the alias that crosses the bound; an
 * alias inside the node it names is `yaml.alias-cycle`; an alias with no
 * anchor before it is `yaml.syntax`. A reload to such a file is refused and
 * the running config stays.
 *
 * The amplified data sits in a custom plugin's `config` (the one object the
 * schema leaves open), so that but for its size each file is a valid config.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { runCli } from "../helpers/io.js";

const root = resolve(import.meta.dirname, "../..");
const AIGW = join(root, "bin/aigw");
const MiB = 1024 * 1024;

interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
  hint?: string;
}

const dir = mkdtempSync(join(tmpdir(), "aigw-config-bounds-"));
const children: ChildProcess[] = [];
let gw: ChildGateway | undefined;
let upstream: FakeUpstream | undefined;

afterEach(async () => {
  if (gw !== undefined && gw.child.exitCode === null) {
    gw.child.kill("SIGTERM");
    await gw.exited;
  }
  gw = undefined;
  await upstream?.close();
  upstream = undefined;
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `bin/aigw <args>` as a real process, with only PATH in its environment. */
function aigw(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [AIGW, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", fail);
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A valid config whose one route carries a custom plugin; `config` is the plugin's config block (indented 10). */
function withPluginConfig(config: string, upstreamUrl = "http://127.0.0.1:9"): string {
  return `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${upstreamUrl}" }] }
routes:
  - name: r
    match: { pathPrefix: /x }
    upstream: svc
    plugins:
      - name: amplified
        module: ./amplified.mjs
        config:
${config}`;
}

/** Billion laughs under yaml's alias count: a 60,000-character scalar, 100 aliases of it, 95 aliases of those (570 MB). */
function laughs(): string {
  return withPluginConfig(
    `          a: &a "${"lol".repeat(20_000)}"
          b: &b [${Array(100).fill("*a").join(", ")}]
          c: [${Array(95).fill("*b").join(", ")}]
`,
  );
}

/** A list of 1,000 numbers and `n` aliases of it: each alias adds 1,001 nodes. */
function thousandTimes(n: number, upstreamUrl?: string): string {
  const thousand = Array.from({ length: 1000 }, (_, i) => i).join(", ");
  return withPluginConfig(`          a: &a [${thousand}]\n          b: [${Array(n).fill("*a").join(", ")}]\n`, upstreamUrl);
}

/** A map of 1,000 keys merged into `n` maps (`<<: *m`). */
function mergedTimes(n: number): string {
  const keys = Array.from({ length: 1000 }, (_, i) => `k${i}: ${i}`).join(", ");
  return withPluginConfig(`          m: &m { ${keys} }\n          b: [${Array(n).fill("{ <<: *m }").join(", ")}]\n`);
}

/** The 1-based column of the `nth` occurrence of `needle` on line `line` of `text`. */
function columnOf(text: string, line: number, needle: string, nth: number): number {
  const l = text.split("\n")[line - 1]!;
  let at = -1;
  for (let i = 0; i < nth; i++) at = l.indexOf(needle, at + 1);
  return at + 1;
}

function lineOf(text: string, prefix: string): number {
  return text.split("\n").findIndex((l) => l.trimStart().startsWith(prefix)) + 1;
}

/** Nothing of an internal error: no bug-report hint, no stack frames. */
function expectNoCrash(r: { code: number | null; stdout: string; stderr: string }): void {
  const out = r.stdout + r.stderr;
  expect(out).not.toContain("internal error");
  expect(out).not.toMatch(/\n\s+at /);
  expect(out).not.toMatch(/RangeError|TypeError/);
}

describe("alias amplification (billion laughs under yaml's alias count)", () => {
  it("`aigw validate` exits 1 with config.too-large at the alias that crosses 32 MiB, in text and JSON, with no stack trace", async () => {
    const text = laughs();
    expect(text.length).toBeLessThan(64 * 1024); // a small file
    write("laughs.yaml", text);

    const json = await aigw(["validate", "laughs.yaml", "--format", "json"]);
    expectNoCrash(json);
    expect(json.code, json.stderr).toBe(1);
    expect(json.stderr).toBe("");
    const findings = (JSON.parse(json.stdout) as { ok: boolean; findings: Finding[] }).findings;
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([["config.too-large", "error"]]);
    // At an alias on the line that expands it (the `c:` list of `*b`), not at the start of the document.
    const cLine = lineOf(text, "c: [");
    expect(findings[0]!.line).toBe(cLine);
    expect(text.split("\n")[cLine - 1]!.slice(findings[0]!.column - 1, findings[0]!.column + 1)).toBe("*b");
    expect(findings[0]!.message).toMatch(/1,000,000 nodes or 32\.0 MiB/);

    const plain = await aigw(["validate", "laughs.yaml"]);
    expectNoCrash(plain);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(`laughs.yaml:${cLine}:${findings[0]!.column} error [config.too-large]`);
  }, 60_000);

  it("1,000 aliases of a 1,000-item list (1,001,000 nodes) are config.too-large at the 1,000th alias; 999 of them stay valid", async () => {
    const over = thousandTimes(1000);
    const r = await runCli(["validate", "over.yaml", "--format", "json"], { files: { "over.yaml": over } });
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.filter((f) => f.severity === "error").map((f) => [f.rule, f.line, f.column])).toEqual([
      ["config.too-large", lineOf(over, "b: ["), columnOf(over, lineOf(over, "b: ["), "*a", 1000)],
    ]);

    // Just under the bound: an ordinary (large) config, accepted.
    const under = await runCli(["validate", "under.yaml", "--format", "json"], { files: { "under.yaml": thousandTimes(999) } });
    expect(under.code, under.stdout).toBe(0);
    expect((JSON.parse(under.stdout) as { ok: boolean }).ok).toBe(true);
  }, 60_000);

  it("merge keys count as copies too: 1,000 maps merging a 1,000-key map are config.too-large", async () => {
    const text = mergedTimes(1000);
    const r = await runCli(["validate", "merged.yaml", "--format", "json"], { files: { "merged.yaml": text } });
    expect(r.code, r.stderr).toBe(1);
    const errors = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => f.severity === "error");
    expect(errors.map((f) => [f.rule, f.line])).toEqual([["config.too-large", lineOf(text, "b: [")]]);
  }, 60_000);

  it("the fixture config-too-large.yaml is config.too-large at line 7", async () => {
    const r = await runCli(["validate", "test/fixtures/invalid/config-too-large.yaml", "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.map((f) => [f.rule, f.line])).toEqual([["config.too-large", 7]]);
  });
});

describe("aliases that cannot be expanded", () => {
  it("an alias inside the node it names is yaml.alias-cycle (it crashed validate with a stack trace)", async () => {
    const text = withPluginConfig("          self: &c { inner: *c }\n");
    write("cycle.yaml", text);
    const r = await aigw(["validate", "cycle.yaml", "--format", "json"]);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    const line = lineOf(text, "self:");
    expect(findings.map((f) => [f.rule, f.line, f.column])).toEqual([["yaml.alias-cycle", line, columnOf(text, line, "*c", 1)]]);

    // A map that merges itself is the same cycle.
    const merged = withPluginConfig("          self: &c { a: 1, <<: *c }\n");
    const m = await runCli(["validate", "merge-cycle.yaml", "--format", "json"], { files: { "merge-cycle.yaml": merged } });
    expect(m.code, m.stderr).toBe(1);
    expect((JSON.parse(m.stdout) as { findings: Finding[] }).findings.map((f) => [f.rule, f.line])).toEqual([["yaml.alias-cycle", lineOf(merged, "self:")]]);

    const fixture = await runCli(["validate", "test/fixtures/invalid/yaml-alias-cycle.yaml", "--format", "json"]);
    expect(fixture.code).toBe(1);
    expect((JSON.parse(fixture.stdout) as { findings: Finding[] }).findings.map((f) => [f.rule, f.line])).toEqual([["yaml.alias-cycle", 3]]);
  }, 30_000);

  it("an alias with no anchor before it is yaml.syntax at the alias", async () => {
    const text = "version: 1\nupstreams: []\nroutes: *nothing\n";
    const r = await runCli(["validate", "unanchored.yaml", "--format", "json"], { files: { "unanchored.yaml": text } });
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.map((f) => [f.rule, f.line, f.column])).toEqual([["yaml.syntax", 3, 9]]);
    expect(findings[0]!.message).toContain("*nothing");
  });
});

describe("the file's own size", () => {
  const config = `version: 1
upstreams:
  - { name: svc, type: http, targets: [{ url: "http://127.0.0.1:9" }] }
routes:
  - { name: r, match: { pathPrefix: /x }, upstream: svc }
`;
  /** `config`, then comment lines up to `bytes` (UTF-8), then `tail`. */
  function padded(bytes: number, tail = ""): string {
    const line = `# ${"padding ".repeat(127)}\n`;
    let text = config;
    const room = bytes - Buffer.byteLength(config) - Buffer.byteLength(tail);
    text += line.repeat(Math.floor(room / line.length));
    const rest = bytes - Buffer.byteLength(text) - Buffer.byteLength(tail);
    if (rest > 0) text += rest === 1 ? "\n" : `#${"x".repeat(rest - 2)}\n`;
    return text + tail;
  }

  it("a file over 10 MiB is config.too-large at 1:1 and is never parsed (its syntax error goes unreported)", async () => {
    // An unterminated quote at the very end: a parser that read the file would report it.
    const text = padded(10 * MiB + 4096, 'broken: "never closed\n');
    expect(Buffer.byteLength(text)).toBeGreaterThan(10 * MiB);
    write("big.yaml", text);
    const r = await aigw(["validate", "big.yaml", "--format", "json"]);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings.map((f) => [f.rule, f.severity, f.line, f.column])).toEqual([["config.too-large", "error", 1, 1]]);
    expect(findings[0]!.message).toContain("10 MiB");
  }, 60_000);

  it("the limit is in bytes: 3.6 million three-byte characters (10.3 MiB in UTF-8) are refused too", async () => {
    const text = `${config}# ${"€".repeat(3_600_000)}\n`;
    expect(text.length).toBeLessThan(10 * MiB);
    expect(Buffer.byteLength(text)).toBeGreaterThan(10 * MiB);
    write("wide.yaml", text);
    const r = await aigw(["validate", "wide.yaml", "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: Finding[] }).findings.map((f) => [f.rule, f.line, f.column])).toEqual([["config.too-large", 1, 1]]);
  }, 60_000);

  it("a file of exactly 10 MiB is read and checked as usual", async () => {
    const text = padded(10 * MiB);
    expect(Buffer.byteLength(text)).toBe(10 * MiB);
    write("exact.yaml", text);
    const r = await aigw(["validate", "exact.yaml", "--format", "json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { ok: boolean }).ok).toBe(true);
  }, 60_000);
});

describe("reloading into an amplified file", () => {
  it("POST /admin/reload answers 422 config.too-large, the failure is counted, and the running config keeps serving", async () => {
    upstream = await new FakeUpstream().start();
    writeFileSync(
      join(dir, "amplified.mjs"),
      `export default { name: "amplified", schema: { type: "object" }, create() { return {}; } };\n`,
    );
    const file = write("serve.yaml", thousandTimes(1, upstream.url));
    gw = await spawnGateway(file, {}, ["--no-watch"]);
    const before = (await (await fetch(`${gw.adminUrl}/admin/config`)).json()) as { hash: string };
    expect((await fetch(`${gw.dataUrl}/x/1`)).status).toBe(200);

    // The same config with 1,000 aliases of the list instead of 1: each would be accepted by yaml's alias count.
    writeFileSync(file, thousandTimes(1000, upstream.url).replace("pathPrefix: /x", "pathPrefix: /y"));
    const res = await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" });
    const body = (await res.json()) as { applied: boolean; result: string; findings: Finding[] };
    expect(res.status).toBe(422);
    expect(body.applied).toBe(false);
    expect(body.result).toBe("failure");
    expect(body.findings.filter((f) => f.severity === "error").map((f) => f.rule)).toEqual(["config.too-large"]);

    const after = (await (await fetch(`${gw.adminUrl}/admin/config`)).json()) as { hash: string };
    expect(after.hash).toBe(before.hash);
    expect((await fetch(`${gw.dataUrl}/x/2`)).status).toBe(200);
    expect((await fetch(`${gw.dataUrl}/y/2`)).status).toBe(404);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_config_reloads_total\{result="failure"\} 1\b/);
    const reloads = (await (await fetch(`${gw.adminUrl}/admin/reloads`)).json()) as { reloads: { result: string; findings: Finding[] }[] };
    expect(reloads.reloads[0]!.result).toBe("failure");
    expect(reloads.reloads[0]!.findings.map((f) => f.rule)).toContain("config.too-large");
    expect(gw.child.exitCode).toBeNull();
    expect(readFileSync(file, "utf8")).toContain("pathPrefix: /y"); // the file was the amplified one throughout
  }, 60_000);
});
