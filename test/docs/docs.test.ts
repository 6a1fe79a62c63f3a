import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";

const root = resolve(import.meta.dirname, "../..");
const read = (path: string): string => readFileSync(join(root, path), "utf8");
const readme = read("README.md");

/** Every Markdown file a reader reaches from the README: the top-level guides and everything under docs/. */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) return walk(path);
      return name.endsWith(".md") ? [path] : [];
    });
  return ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...walk("docs")];
}

/** The text outside fenced code blocks, where headings and links are real. */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, "");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe("README", () => {
  it("opens with the install-and-run command and the test command", () => {
    const firstBlock = readme.slice(readme.indexOf("```sh"), readme.indexOf("```", readme.indexOf("```sh") + 5));
    expect(firstBlock).toContain("npm install && npm start");
    expect(firstBlock).toContain("npm test");
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("\n## "));
    const pkg = JSON.parse(read("package.json"));
    expect(pkg.scripts.start).toBe("node bin/aigw serve --config gateway.yaml");
    expect(pkg.scripts.prepare).toMatch(/tsc/);
  });

  it("stays short: under 200 lines, no status table, no commit ids", () => {
    expect(readme.split("\n").length).toBeLessThan(200);
    expect(readme).not.toMatch(/^## Status/m);
    expect(prose(readme)).not.toMatch(/`[0-9a-f]{7,40}`/);
  });

  it("has a sample request that the root gateway.yaml answers from the mock upstream", async () => {
    const sample = readme.slice(readme.indexOf("<!-- sample-request:start -->"), readme.indexOf("<!-- sample-request:end -->"));
    const path = /curl -s localhost:8080(\/\S+)/.exec(sample)?.[1];
    const body = /-d '([^']+)'/.exec(sample)?.[1];
    expect(path).toBe("/v1/chat/completions");
    const yaml = read("gateway.yaml").replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:0").replace("admin: 127.0.0.1:9090", "admin: 127.0.0.1:0");
    const gw = await startTestGateway(yaml);
    try {
      const res = await fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-aigw-upstream")).toBe("mock");
      const answer = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
      expect(answer.object).toBe("chat.completion");
      expect(answer.choices[0]!.message.content).toContain("Hello, aigw");
    } finally {
      await gw.close();
    }
  });
});

describe("docs", () => {
  it("has the configuration reference generated from the schema, one page per top-level key", () => {
    expect(() => execFileSync(process.execPath, ["scripts/gen-config-docs.mjs", "--check"], { cwd: root, stdio: "pipe" })).not.toThrow();
    const schema = JSON.parse(read("schemas/gateway.schema.json")) as { properties: Record<string, unknown> };
    const index = read("docs/config/README.md");
    for (const key of Object.keys(schema.properties)) {
      if (existsSync(join(root, `docs/config/${key}.md`))) expect(index).toContain(`(${key}.md)`);
      else expect(index).toContain(`| \`${key}\` |`);
    }
    for (const key of ["server", "routes", "upstreams", "auth"]) expect(existsSync(join(root, `docs/config/${key}.md`))).toBe(true);
  });

  it.each(["getting-started", "concepts", "cli", "operations", "architecture", "benchmarks", "security"])("has docs/%s.md, linked from the README", (page) => {
    expect(existsSync(join(root, `docs/${page}.md`))).toBe(true);
    expect(readme).toContain(`(docs/${page}.md)`);
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = read(file);
      for (const m of prose(text).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const resolved = path === "" ? join(root, file) : resolve(dirname(join(root, file)), path);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(root, resolved)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("shows only complete configs that validate", async () => {
    const findings: string[] = [];
    let checked = 0;
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(/^```yaml\n([\s\S]*?)^```/gm)) {
        const yaml = m[1]!;
        if (!/^version: 1$/m.test(yaml)) continue;
        checked++;
        const run = await runCli(["validate", "example.yaml", "--format", "json"], { files: { "example.yaml": yaml } });
        const errors = (JSON.parse(run.stdout) as { findings: { severity: string; rule: string; line: number; message: string }[] }).findings.filter((f) => f.severity === "error");
        if (run.code !== 0) findings.push(`${file}: ${errors.map((f) => `${f.line} ${f.rule} ${f.message}`).join("; ")}`);
      }
    }
    expect(findings).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
