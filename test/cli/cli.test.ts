import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/io.js";

const bad = `version: 1
upstreams:
  - name: openai
    type: openai
    targets: [{ url: https://api.openai.com }]
routes:
  - name: chat
    match: { path: /v1/chat/completions }
    upstream: opanai
`;

describe("aigw validate", () => {
  it("accepts the root gateway.yaml", async () => {
    const r = await runCli(["validate", "gateway.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gateway\.yaml: valid/);
  });

  it("points at a misspelt upstream with file:line:col, rule id and a suggestion", async () => {
    const r = await runCli(["validate", "bad.yaml"], { files: { "bad.yaml": bad } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'bad.yaml:9:15 error [route.upstream.unknown] route "chat" references upstream "opanai"; did you mean "openai"?',
    );
    expect(r.stderr).toBe("");
  });

  it("prints the documented JSON shape", async () => {
    const r = await runCli(["validate", "bad.yaml", "--format", "json"], { files: { "bad.yaml": bad } });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      ok: false,
      findings: [
        {
          file: "bad.yaml",
          line: 9,
          column: 15,
          rule: "route.upstream.unknown",
          severity: "error",
          message: 'route "chat" references upstream "opanai"; did you mean "openai"?',
        },
      ],
    });
  });

  it("prints GitHub workflow commands", async () => {
    const r = await runCli(["validate", "bad.yaml", "--format", "github"], { files: { "bad.yaml": bad } });
    expect(r.stdout).toMatch(/^::error file=bad\.yaml,line=9,col=15,title=route\.upstream\.unknown::route "chat" references upstream "opanai"; did you mean "openai"\?\n$/);
  });

  it("prints ok:true with warnings for an unset variable, and fails under --strict", async () => {
    const cfg = `version: 1
upstreams:
  - { name: o, type: openai, targets: [{ url: https://api.openai.com }], credentials: { apiKey: "\${OPENAI_API_KEY}" } }
routes:
  - { name: r, upstream: o }
`;
    const loose = await runCli(["validate", "c.yaml", "--format", "json"], { files: { "c.yaml": cfg } });
    expect(loose.code).toBe(0);
    const out = JSON.parse(loose.stdout);
    expect(out.ok).toBe(true);
    expect(out.findings).toMatchObject([{ rule: "config.env.unset", severity: "warning", line: 3 }]);
    const strict = await runCli(["validate", "--strict", "c.yaml"], { files: { "c.yaml": cfg } });
    expect(strict.code).toBe(1);
  });

  it("exits 2 with a message on stderr for a missing file, and keeps stdout clean", async () => {
    const r = await runCli(["validate", "missing.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("cannot read missing.yaml");
  });

  it("exits 2 on usage errors", async () => {
    expect((await runCli(["validate"])).code).toBe(2);
    expect((await runCli(["validate", "--format", "xml", "gateway.yaml"])).code).toBe(2);
    expect((await runCli(["nonsense"])).code).toBe(2);
  });

  it("validates several files and fails if any is invalid", async () => {
    const r = await runCli(["validate", "gateway.yaml", "bad.yaml"], { files: { "bad.yaml": bad } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("gateway.yaml: valid");
    expect(r.stdout).toContain("bad.yaml: invalid");
  });
});

describe("aigw schema / routes / --help", () => {
  it("prints the schema as JSON", async () => {
    const r = await runCli(["schema"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("prints the routing table", async () => {
    const r = await runCli(["routes", "gateway.yaml", "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.routes.map((x: { route: string }) => x.route)).toEqual(["chat", "embeddings"]);
  });

  it("shows examples in --help", async () => {
    const r = await runCli(["validate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
  });

  it("prints the version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
