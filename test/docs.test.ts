import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestGateway } from "./helpers/gateway.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("opens with the install-and-run command and the test command", () => {
    const firstBlock = readme.slice(readme.indexOf("```sh"), readme.indexOf("```", readme.indexOf("```sh") + 5));
    expect(firstBlock).toContain("npm install && npm start");
    expect(firstBlock).toContain("npm test");
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.scripts.start).toBe("node bin/aigw serve --config gateway.yaml");
    expect(pkg.scripts.prepare).toMatch(/tsc/);
  });

  it("has a config reference that matches the schema", () => {
    expect(() => execFileSync(process.execPath, ["scripts/gen-config-docs.mjs", "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("has a sample request that the root gateway.yaml answers from the mock upstream", async () => {
    const sample = readme.slice(readme.indexOf("<!-- sample-request:start -->"), readme.indexOf("<!-- sample-request:end -->"));
    const path = /curl -s localhost:8080(\/\S+)/.exec(sample)?.[1];
    const body = /-d '([^']+)'/.exec(sample)?.[1];
    expect(path).toBe("/v1/chat/completions");
    const yaml = readFileSync(new URL("../gateway.yaml", import.meta.url), "utf8")
      .replace("listen: 0.0.0.0:8080", "listen: 127.0.0.1:0")
      .replace("admin: 127.0.0.1:9090", "admin: 127.0.0.1:0");
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
