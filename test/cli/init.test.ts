import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STARTER_CONFIG } from "../../src/cli/templates/gateway-yaml.js";
import { build } from "../helpers/build.js";
import { startTestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aigw-init-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("aigw init", () => {
  it("writes ./gateway.yaml", async () => {
    const r = await runCli(["init"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote gateway.yaml");
    expect(readFileSync(join(dir, "gateway.yaml"), "utf8")).toBe(STARTER_CONFIG);
  });

  it("refuses to overwrite an existing file (exit 1) unless --force", async () => {
    writeFileSync(join(dir, "gateway.yaml"), "mine\n");
    const refused = await runCli(["init"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("gateway.yaml already exists; use --force to overwrite it");
    expect(readFileSync(join(dir, "gateway.yaml"), "utf8")).toBe("mine\n");

    const forced = await runCli(["init", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "gateway.yaml"), "utf8")).toBe(STARTER_CONFIG);
  });

  it("prints the starter config to stdout with -, writing nothing", async () => {
    const r = await runCli(["init", "-"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(STARTER_CONFIG);
    expect(existsSync(join(dir, "gateway.yaml"))).toBe(false);
  });

  it("writes to another path, and reports a path it cannot write as an I/O error (exit 2)", async () => {
    const r = await runCli(["init", "staging.yaml", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ file: "staging.yaml", written: true });
    expect(existsSync(join(dir, "staging.yaml"))).toBe(true);
    const bad = await runCli(["init", "no/such/dir/gateway.yaml"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot write no/such/dir/gateway.yaml");
  });

  it("writes a config that validates with no findings, even under --strict", async () => {
    await runCli(["init"], { cwd: dir });
    const r = await runCli(["validate", "gateway.yaml", "--strict", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, findings: [] });
    expect(build(STARTER_CONFIG, { mode: "serve" }).diagnostics).toEqual([]);
  });

  it("keeps its commented-out blocks valid once uncommented", () => {
    // Uncomment every `# ` line that holds YAML (not prose) and give the variables values.
    const uncommented = STARTER_CONFIG.split("\n")
      .map((line) => {
        const m = /^(\s*)# ( *(?:- |[a-zA-Z][\w-]*:).*)$/.exec(line);
        // Prose that happens to look like `word: ...`.
        if (m === null || line.includes("yaml-language-server") || line.includes("Precedence:")) return line;
        return `${m[1] ?? ""}${m[2] ?? ""}`;
      })
      .join("\n")
      .replace('sha256: "<aigw hash-key>"', `sha256: "${"a".repeat(64)}"`)
      .replace('sha256: "<64 hex digits>"', `sha256: "${"b".repeat(64)}"`);
    const result = build(uncommented, { env: { CI_KEY: "ci-key-value", OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test" }, mode: "serve" });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.snapshot?.routes.map((r) => r.name)).toEqual(["chat-openai", "chat-claude", "chat", "embeddings"]);
  });

  it("serves: the demo request gets a mock answer", async () => {
    const yaml = STARTER_CONFIG.replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:0").replace("admin: 127.0.0.1:9090", "admin: 127.0.0.1:0\n  shutdown: { drainDelayMs: 0, graceMs: 2000 }");
    const gw = await startTestGateway(yaml);
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Hello" }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-aigw-upstream")).toBe("mock");
    } finally {
      await gw.close();
    }
  });
});

describe("aigw hash-key", () => {
  const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

  it("prints the lowercase hex sha256 of the key on stdin", async () => {
    const r = await runCli(["hash-key"], { stdin: "test-key-team-a" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("88679f793f921fe3a5ebd6bdde335cba5521ae73ba2c3fbfc3515f0bde6642ce\n");
    expect(r.stderr).toBe("");
  });

  it("drops one trailing newline (echo, heredoc), and only one", async () => {
    expect((await runCli(["hash-key"], { stdin: "k\n" })).stdout).toBe(`${sha("k")}\n`);
    expect((await runCli(["hash-key"], { stdin: "k\r\n" })).stdout).toBe(`${sha("k")}\n`);
    expect((await runCli(["hash-key"], { stdin: "k\n\n" })).stdout).toBe(`${sha("k\n")}\n`);
    expect((await runCli(["hash-key"], { stdin: " k " })).stdout).toBe(`${sha(" k ")}\n`);
  });

  it("refuses empty input (exit 2)", async () => {
    for (const stdin of ["", "\n", "\r\n"]) {
      const r = await runCli(["hash-key"], { stdin });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("no key on stdin");
    }
  });

  it("prints JSON with --format json, and its hash authenticates the key in a config", async () => {
    const r = await runCli(["hash-key", "--format", "json"], { stdin: "test-key-team-a\n" });
    expect(JSON.parse(r.stdout)).toEqual({ sha256: sha("test-key-team-a") });
  });
});
