import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { ConfigDir, type Mechanism } from "../helpers/config-dir.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { runLoad } from "../helpers/load.js";
import { logLine, until } from "../helpers/until.js";

let gw: ChildGateway | undefined;
const fakes: FakeUpstream[] = [];

afterEach(async () => {
  if (gw !== undefined && gw.child.exitCode === null) {
    gw.child.kill("SIGTERM");
    await gw.exited;
  }
  gw = undefined;
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function twoUpstreams(): Promise<[FakeUpstream, FakeUpstream]> {
  const make = async (name: string) => {
    const f = await new FakeUpstream((req, res) => {
      if ((req.url ?? "").startsWith("/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream", "x-origin": name });
        let n = 0;
        const t = setInterval(() => {
          n++;
          res.write(`data: ${name}-${n}\n\n`);
          if (n === 8) {
            clearInterval(t);
            res.end("data: [DONE]\n\n");
          }
        }, 150);
        res.on("close", () => clearInterval(t));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ from: name }));
    }).start();
    fakes.push(f);
    return f;
  };
  return [await make("a"), await make("b")];
}

function config(a: FakeUpstream, b: FakeUpstream, to: "a" | "b", extra = ""): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 3000 }
observability:
  logs: { accessLog: false }
upstreams:
  - { name: a, type: http, targets: [{ url: "${a.url}" }] }
  - { name: b, type: http, targets: [{ url: "${b.url}" }] }
routes:
  - { name: work, match: { pathPrefix: /work }, upstream: ${to} }
  - { name: stream, match: { pathPrefix: /stream }, upstream: ${to} }
# ${extra}
`;
}

async function activeHash(g: ChildGateway): Promise<string> {
  return ((await (await fetch(`${g.adminUrl}/admin/config`)).json()) as { hash: string }).hash;
}

/** The active config's hash once it is no longer `not` (the reload applied). */
async function waitForHash(g: ChildGateway, not: string, timeoutMs = 5000): Promise<string> {
  return until(async () => {
    const h = await activeHash(g);
    return h !== not && h;
  }, "the config to be reloaded", timeoutMs, 20);
}

type Trigger = Mechanism | "sighup" | "admin";

async function changeConfig(trigger: Trigger, dir: ConfigDir, text: string, g: ChildGateway): Promise<void> {
  if (trigger === "sighup" || trigger === "admin") {
    writeFileSync(dir.file, text);
    if (trigger === "sighup") g.child.kill("SIGHUP");
    else {
      const res = await fetch(`${g.adminUrl}/admin/reload`, { method: "POST" });
      expect([200]).toContain(res.status);
    }
    return;
  }
  dir.write(text);
}

describe.each<Trigger>(["in-place", "rename", "configmap", "sighup", "admin"])("hot reload by %s", (trigger) => {
  it("serves 20 keep-alive clients across 50 applied config rewrites with zero failures", async () => {
    const [a, b] = await twoUpstreams();
    const dir = new ConfigDir(trigger === "sighup" || trigger === "admin" ? "in-place" : trigger, config(a, b, "a"));
    // With SIGHUP and /admin/reload, watching is off: the trigger alone must reload.
    gw = await spawnGateway(dir.file, {}, trigger === "sighup" || trigger === "admin" ? ["--no-watch"] : []);
    const load = runLoad(gw.dataUrl, { clients: 20, path: "/work/x" });
    // Paced by events, not time: each rewrite is applied, and traffic flows across it, before the next.
    let hash = await activeHash(gw);
    for (let i = 1; i <= 50; i++) {
      const sent = load.requests;
      await changeConfig(trigger, dir, config(a, b, i % 2 === 0 ? "a" : "b", `rewrite ${i}`), gw);
      hash = await waitForHash(gw, hash);
      await until(() => load.requests > sent + 10, `traffic across rewrite ${i}`);
    }
    const report = await load.stop();
    expect(report.errors, report.firstError).toBe(0);
    expect(report.non2xx, report.firstError).toBe(0);
    expect(report.requests).toBeGreaterThan(500);
    expect(report.upstreams.a ?? 0).toBeGreaterThan(0);
    expect(report.upstreams.b ?? 0).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const successes = Number(/aigw_config_reloads_total\{result="success"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(successes).toBeGreaterThan(10);
    expect(metrics).not.toMatch(/aigw_config_reloads_total\{result="failure"\} [1-9]/);
    expect(gw.child.exitCode).toBeNull();
  }, 60_000);

  it("lets a stream opened before a reload finish on its old upstream", async () => {
    const [a, b] = await twoUpstreams();
    const dir = new ConfigDir(trigger === "sighup" || trigger === "admin" ? "in-place" : trigger, config(a, b, "a"));
    gw = await spawnGateway(dir.file, {}, trigger === "sighup" || trigger === "admin" ? ["--no-watch"] : []);
    const before = await activeHash(gw);
    const res = await fetch(`${gw.dataUrl}/stream/1`);
    expect(res.headers.get("x-aigw-upstream")).toBe("a");
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("a-1");
    await changeConfig(trigger, dir, config(a, b, "b", "switch"), gw);
    await waitForHash(gw, before);
    const fresh = await fetch(`${gw.dataUrl}/stream/2`);
    expect(fresh.headers.get("x-aigw-upstream")).toBe("b");
    await fresh.body?.cancel();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("a-8");
    expect(rest).toContain("[DONE]");
    expect(rest).not.toContain("b-");
  }, 20_000);
});

describe("a broken config keeps the running one", () => {
  it.each([
    ["broken YAML", (t: string) => t.replace("routes:", "routes: [")],
    ["schema error", (t: string) => t.replace("pathPrefix: /work", "pathPrefx: /work")],
    ["broken reference", (t: string) => t.replace("upstream: a }", "upstream: nowhere }")],
  ])("%s: old snapshot serves, failure logged with its position and counted", async (_name, breakIt) => {
    const [a, b] = await twoUpstreams();
    const good = config(a, b, "a");
    const dir = new ConfigDir("in-place", good);
    gw = await spawnGateway(dir.file);
    const before = await activeHash(gw);
    const load = runLoad(gw.dataUrl, { clients: 4, path: "/work/x" });
    dir.write(breakIt(good));
    const failures = await until(async () => {
      const metrics = await (await fetch(`${gw!.adminUrl}/metrics`)).text();
      return Number(/aigw_config_reloads_total\{result="failure"\} (\d+)/.exec(metrics)?.[1] ?? 0) || undefined;
    }, "a failed reload counted", 5000, 50);
    const report = await load.stop();
    expect(failures).toBe(1);
    expect(await activeHash(gw)).toBe(before);
    expect(report.errors + report.non2xx).toBe(0);
    expect(report.upstreams).toEqual({ a: report.requests });
    const positioned = await logLine(gw.logs, (l) => typeof l.msg === "string" && /gateway\.yaml:\d+:\d+ error \[/.test(l.msg), "a finding with its position", 5000);
    expect(positioned, JSON.stringify(gw.logs.slice(-5))).toBeDefined();
    const reloads = (await (await fetch(`${gw.adminUrl}/admin/reloads`)).json()) as { reloads: { result: string; findings: unknown[] }[] };
    expect(reloads.reloads[0]!.result).toBe("failure");
    expect(reloads.reloads[0]!.findings.length).toBeGreaterThan(0);
    // Fixing the file applies it.
    dir.write(config(a, b, "b", "fixed"));
    await waitForHash(gw, before);
  }, 20_000);
});

describe("POST /admin/reload", () => {
  it("says whether it applied, and why not", async () => {
    const [a, b] = await twoUpstreams();
    const dir = new ConfigDir("in-place", config(a, b, "a"));
    gw = await spawnGateway(dir.file, {}, ["--no-watch"]);
    const same = await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ applied: false, result: "unchanged" });
    writeFileSync(dir.file, config(a, b, "b"));
    const applied = (await (await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" })).json()) as Record<string, unknown>;
    expect(applied, JSON.stringify(applied)).toMatchObject({ applied: true, result: "success", summary: { changed: ["route:work", "route:stream"] } });
    writeFileSync(dir.file, "version: 2\n");
    const bad = await fetch(`${gw.adminUrl}/admin/reload`, { method: "POST" });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ applied: false, result: "failure", findings: [{ rule: "schema.const", line: 1 }] });
    const forced = (await (await fetch(`${gw.adminUrl}/admin/reload?force=true`, { method: "POST" })).json()) as Record<string, unknown>;
    expect(forced.result).toBe("failure");
    const get = await fetch(`${gw.adminUrl}/admin/reload`);
    expect(get.status).toBe(405);
  }, 20_000);
});
