/**
 * Issue 23, item 6: admin auth cannot be reloaded away.
 *
 * The attack: a gateway runs with `server.admin: 0.0.0.0:<port>` and
 * `adminAuth`. Someone who can change the config file (or who holds an
 * operator token once) reloads a config that says `admin:
 * 127.0.0.1:<same port>` without `adminAuth`. Validate judges the address
 * as written, which is loopback, so the config was accepted; but listeners
 * keep their addresses until restart, so the listener stayed on 0.0.0.0
 * and `/admin/*` (the config, reloads) was open to the network.
 *
 * Now: a reload is judged against the admin listener as bound
 * (`admit(config, boundAdmin)`): one that leaves a non-loopback listener
 * without `adminAuth` is refused with the finding `server.admin.exposed`
 * (POST /admin/reload answers 422, `aigw_config_reloads_total{result=
 * "failure"}` goes up, the running config stays), in `serve` and in
 * `serve --workers N`. The admin listener also fails closed on its own:
 * without tokens and not on loopback it answers `/admin/*` with 403
 * `admin_auth_required`. The restart warning is logged only after a
 * successful reload, and names the fields that changed.
 *
 * Listeners bind 0.0.0.0 where the attack needs it; every request goes to
 * 127.0.0.1.
 */
import { readFile } from "node:fs/promises";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/deps.js";
import { createAdminServer, type AdminSource } from "../../src/server/admin.js";
import { listen } from "../../src/server/listen.js";
import { serve, type ServingGateway } from "../../src/server/serve.js";
import { snapshotOf } from "../helpers/build.js";
import { spawnGateway, stopGateway, type ChildGateway } from "../helpers/child.js";
import { runCli } from "../helpers/io.js";
import { until } from "../helpers/until.js";

const TOKEN = "admin-token-for-reload-tests-0001";
const ENV = { ADMIN_TOKEN: TOKEN };
const bearer = { authorization: `Bearer ${TOKEN}` };

const root = mkdtempSync(join(tmpdir(), "aigw-admin-reload-"));
let gw: ChildGateway | undefined;
let serving: ServingGateway | undefined;
const servers: Server[] = [];
const workerPids = new Set<number>();

afterEach(async () => {
  if (gw !== undefined) await stopGateway(gw);
  gw = undefined;
  for (const pid of workerPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone (the normal case)
    }
  }
  workerPids.clear();
  await serving?.stop();
  serving = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((done) => s.close(() => done()));
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A config: the admin listener at `admin`, with or without `adminAuth`
 * (an operator token from $ADMIN_TOKEN); `generation` is echoed in a
 * response header so the running config shows on the data plane.
 */
function config(o: { admin: string; auth: boolean; generation: number; listen?: string; headersTimeoutMs?: number; plugin?: string }): string {
  return `version: 1
server:
  listen: "${o.listen ?? "127.0.0.1:0"}"
  admin: "${o.admin}"
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
${o.headersTimeoutMs === undefined ? "" : `  limits: { headersTimeoutMs: ${o.headersTimeoutMs} }\n`}${o.auth ? `  adminAuth: { tokens: [{ id: ops, value: "\${ADMIN_TOKEN}", role: operator }] }\n` : ""}upstreams:
  - { name: m, type: mock, models: [mock-1] }
routes:
  - name: chat
    match: { path: /v1/chat/completions, methods: [POST] }
    upstream: m
    headers: { response: { set: { x-config-generation: "${o.generation}" } } }
${o.plugin === undefined ? "" : `    plugins: [{ name: boom, module: ./${o.plugin} }]\n`}`;
}

function newDir(): { dir: string; file: string } {
  const dir = mkdtempSync(join(root, "case-"));
  return { dir, file: join(dir, "gateway.yaml") };
}

const CHAT = JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] });

/** The generation the data plane answers with (one connection per request). */
async function generation(dataUrl: string): Promise<string | null> {
  const res = await fetch(`${dataUrl}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", connection: "close" }, body: CHAT });
  await res.arrayBuffer();
  return res.headers.get("x-config-generation");
}

/** `aigw_config_reloads_total{result}` from /metrics (no token needed). */
async function reloads(adminUrl: string, result: "success" | "failure"): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return Number(new RegExp(`aigw_config_reloads_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

/** The admin listener as a client reaches it: over loopback, at the port it is bound to. */
function loopbackUrl(adminUrl: string): string {
  return `http://127.0.0.1:${new URL(adminUrl).port}`;
}

interface Finding {
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
}

interface ReloadAnswer {
  applied: boolean;
  result: string;
  trigger: string;
  findings: Finding[];
}

/** The reproduction's second config, as validate sees it: valid (loopback as written, so no adminAuth needed). */
async function expectValidAsWritten(text: string): Promise<void> {
  const r = await runCli(["validate", "next.yaml", "--format", "json"], { env: ENV, files: { "next.yaml": text } });
  expect(r.code, r.stdout).toBe(0);
}

describe("a reload that drops adminAuth while the admin listener is bound to 0.0.0.0 (aigw serve)", () => {
  it("is refused over POST /admin/reload: 422 server.admin.exposed, counted, and /admin/config still needs the token", async () => {
    const { file } = newDir();
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 1 }));
    gw = await spawnGateway(file, ENV, ["--no-watch"]);
    const admin = loopbackUrl(gw.adminUrl);
    const port = new URL(admin).port;
    expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
    const before = ((await (await fetch(`${admin}/admin/config`, { headers: bearer })).json()) as { hash: string }).hash;
    expect(await generation(gw.dataUrl)).toBe("1");

    // The reproduction: the same port on loopback, as written; no adminAuth.
    const next = config({ admin: `127.0.0.1:${port}`, auth: false, generation: 2 });
    await expectValidAsWritten(next);
    writeFileSync(file, next);
    const res = await fetch(`${admin}/admin/reload`, { method: "POST", headers: bearer });
    const body = (await res.json()) as ReloadAnswer;
    expect(res.status).toBe(422);
    expect(body.applied).toBe(false);
    expect(body.result).toBe("failure");
    const refusal = body.findings.find((f) => f.rule === "server.admin.exposed");
    expect(refusal, JSON.stringify(body.findings)).toBeDefined();
    expect(refusal!.severity).toBe("error");
    expect(refusal!.line).toBe(4); // at `admin:` in the refused file
    expect(refusal!.message).toContain(`0.0.0.0:${port}`);

    // Still closed, still the old config, and the failure counted.
    expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
    expect((await fetch(`${admin}/admin/reloads`)).status).toBe(401);
    expect((await fetch(`${admin}/admin/reload`, { method: "POST" })).status).toBe(401);
    const now = (await (await fetch(`${admin}/admin/config`, { headers: bearer })).json()) as { hash: string; config: { server: Record<string, unknown> } };
    expect(now.hash).toBe(before);
    expect(now.config.server.adminAuth).toBeDefined();
    expect(await generation(gw.dataUrl)).toBe("1");
    expect(await reloads(admin, "failure")).toBe(1);
    const g = gw;
    // The log is flushed on its own schedule: wait for the refusal's line.
    await until(() => g.logs.some((l) => (l.finding as Finding | undefined)?.rule === "server.admin.exposed"), "the refusal's log line", 5000);
    expect(g.logs.some((l) => l.msg === "config reloaded")).toBe(false);
    expect(g.child.exitCode).toBeNull();
  }, 30_000);

  it("is refused when the file itself changes (watched reload), and `localhost` as written is no different", async () => {
    const { file } = newDir();
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 1 }));
    gw = await spawnGateway(file, ENV);
    const g = gw;
    const admin = loopbackUrl(g.adminUrl);
    const port = new URL(admin).port;

    const attempts: [string, number][] = [
      [`127.0.0.1:${port}`, 2],
      [`localhost:${port}`, 3],
    ];
    for (const [written, n] of attempts) {
      const next = config({ admin: written, auth: false, generation: n });
      await expectValidAsWritten(next);
      const seen = g.logs.length;
      writeFileSync(file, next);
      // Whatever the outcome, the file-triggered reload logs it.
      await until(
        () => g.logs.slice(seen).some((l) => l.trigger === "file" && (l.msg === "config reloaded" || (typeof l.msg === "string" && l.msg.startsWith("config reload")))),
        () => `the file-triggered reload; last lines:\n${g.logs.slice(-5).map((l) => JSON.stringify(l).slice(0, 200)).join("\n")}`,
        10_000,
      );
      expect(g.logs.slice(seen).some((l) => l.msg === "config reloaded")).toBe(false);
      expect(g.logs.slice(seen).some((l) => (l.finding as Finding | undefined)?.rule === "server.admin.exposed")).toBe(true);
      expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
      expect(await generation(g.dataUrl)).toBe("1");
    }
    const history = (await (await fetch(`${admin}/admin/reloads`, { headers: bearer })).json()) as { reloads: ReloadAnswer[] };
    const fileReloads = history.reloads.filter((r) => r.trigger === "file");
    expect(fileReloads.length).toBeGreaterThanOrEqual(2);
    for (const r of fileReloads) {
      expect(r.result).toBe("failure");
      expect(r.findings.map((f) => f.rule)).toContain("server.admin.exposed");
    }
    expect(await reloads(admin, "success")).toBe(1); // the startup load only
  }, 30_000);
});

describe("aigw serve --workers 2", () => {
  it("refuses the same reload: 422, the workers keep the old config, /admin/config still needs the token", async () => {
    const { file } = newDir();
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 1 }));
    gw = await spawnGateway(file, ENV, ["--workers", "2", "--no-watch"]);
    for (const pid of (gw.logs.find((l) => l.msg === "aigw listening")?.pids as number[] | undefined) ?? []) workerPids.add(pid);
    const admin = loopbackUrl(gw.adminUrl);
    const port = new URL(admin).port;
    const ready = async () => (await (await fetch(`${admin}/ready`)).json()) as { hash: string; workers: { hash: string }[] };
    const before = await ready();
    expect(before.workers).toHaveLength(2);

    writeFileSync(file, config({ admin: `127.0.0.1:${port}`, auth: false, generation: 2 }));
    const res = await fetch(`${admin}/admin/reload`, { method: "POST", headers: bearer });
    const body = (await res.json()) as ReloadAnswer;
    expect(res.status).toBe(422);
    expect(body.findings.map((f) => f.rule)).toContain("server.admin.exposed");

    expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
    const after = await ready();
    expect(after.hash).toBe(before.hash);
    expect(after.workers.every((w) => w.hash === before.hash)).toBe(true);
    for (let i = 0; i < 4; i++) expect(await generation(gw.dataUrl)).toBe("1");
    expect(await reloads(admin, "failure")).toBe(1);
  }, 60_000);
});

/** `serve()` in-process, with its log lines. */
async function serveHere(file: string, dir: string): Promise<{ serving: ServingGateway; logs: Record<string, unknown>[]; admin: string }> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const started = await serve({
    config: file,
    cwd: dir,
    env: ENV,
    readFile: (f) => readFile(f, "utf8"),
    logger: pino({ level: "info" }, sink),
    clock: systemClock,
    random: Math.random,
    watch: false,
    worker: false,
  });
  expect(started.first.result, JSON.stringify(started.first.findings)).toBe("success");
  serving = started.serving!;
  return { serving: serving, logs, admin: loopbackUrl(serving.adminUrl) };
}

describe("guards", () => {
  it("a loopback-bound admin listener may drop adminAuth: the reload applies and /admin/config opens on loopback", async () => {
    const { dir, file } = newDir();
    writeFileSync(file, config({ admin: "127.0.0.1:0", auth: true, generation: 1 }));
    const { serving: s, admin } = await serveHere(file, dir);
    expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
    writeFileSync(file, config({ admin: `127.0.0.1:${new URL(admin).port}`, auth: false, generation: 2 }));
    const res = await fetch(`${admin}/admin/reload`, { method: "POST", headers: bearer });
    expect(res.status).toBe(200);
    expect(((await res.json()) as ReloadAnswer).applied).toBe(true);
    expect((await fetch(`${admin}/admin/config`)).status).toBe(200);
    expect(await generation(s.dataUrl)).toBe("2");
  });

  it("a reload that keeps adminAuth on a 0.0.0.0 listener applies as usual", async () => {
    const { dir, file } = newDir();
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 1 }));
    const { serving: s, admin } = await serveHere(file, dir);
    writeFileSync(file, config({ admin: `127.0.0.1:${new URL(admin).port}`, auth: true, generation: 2 }));
    const res = await fetch(`${admin}/admin/reload`, { method: "POST", headers: bearer });
    expect(res.status).toBe(200);
    expect(await generation(s.dataUrl)).toBe("2");
    expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
  });
});

describe("the restart warning", () => {
  const restartWarnings = (logs: Record<string, unknown>[]) => logs.filter((l) => l.level === 40 && typeof l.msg === "string" && l.msg.includes("restart"));

  it("is logged only after a successful reload, and names the fields that changed", async () => {
    const { dir, file } = newDir();
    writeFileSync(join(dir, "boom.mjs"), `export default { name: "boom", schema: { type: "object" }, create() { throw new Error("boom refuses to start"); } };\n`);
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 1 }));
    const { serving: s, logs, admin } = await serveHere(file, dir);
    const port = new URL(admin).port;
    const listen = `127.0.0.1:${new URL(s.dataUrl).port}`;

    // Fails to start (a plugin whose create() throws), with a changed data listener: not announced.
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 2, listen, plugin: "boom.mjs" }));
    const failed = await s.reloader.reload("admin");
    expect(failed.result).toBe("failure");
    expect(restartWarnings(logs)).toEqual([]);
    // Refused (admin auth dropped on a 0.0.0.0 listener): the changed admin address is not announced either.
    writeFileSync(file, config({ admin: `127.0.0.1:${port}`, auth: false, generation: 3 }));
    expect((await s.reloader.reload("admin")).result).toBe("failure");
    expect(restartWarnings(logs)).toEqual([]);
    expect(await generation(s.dataUrl)).toBe("1");

    // Applies, changing two settings that only a restart applies: one warning naming both.
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 4, listen, headersTimeoutMs: 15_000 }));
    const applied = await s.reloader.reload("admin");
    expect(applied.result).toBe("success");
    const warnings = restartWarnings(logs);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.changed).toEqual(["server.listen", "server.limits.headersTimeoutMs"]);
    expect(String(warnings[0]!.msg)).toMatch(/^server\.listen, server\.limits\.headersTimeoutMs changed/);
    expect(logs.indexOf(warnings[0]!)).toBeGreaterThan(logs.findIndex((l) => l.level === 50 && String(l.msg).includes("boom refuses to start")));
    expect(await generation(s.dataUrl)).toBe("4");

    // Applies with no listener setting changed: no warning.
    writeFileSync(file, config({ admin: "0.0.0.0:0", auth: true, generation: 5, listen, headersTimeoutMs: 15_000 }));
    expect((await s.reloader.reload("admin")).result).toBe("success");
    expect(restartWarnings(logs)).toHaveLength(1);
  });
});

describe("the admin listener fails closed on its own", () => {
  /** An admin source whose config has no adminAuth (valid as written: its admin address is loopback). */
  function sourceWithoutTokens(): AdminSource {
    const snapshot = snapshotOf(config({ admin: "127.0.0.1:0", auth: false, generation: 1 }));
    return {
      logger: pino({ level: "silent" }),
      activeConfig: { snapshot, loadedAt: new Date(0).toISOString() },
      readiness: () => ({ ready: true, body: { status: "ready" } }),
      metrics: async () => null,
      upstreams: () => ({ upstreams: [] }),
    };
  }

  it("bound to 0.0.0.0 without tokens it answers /admin/* with 403 admin_auth_required; probes stay open", async () => {
    const server = createAdminServer(sourceWithoutTokens());
    servers.push(server);
    const bound = await listen(server, "0.0.0.0:0");
    expect(bound.address).toBe("0.0.0.0");
    const url = `http://127.0.0.1:${bound.port}`;
    for (const path of ["/admin/config", "/admin/upstreams"]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("admin_auth_required");
    }
    // A token does not help: there is nothing to check it against.
    expect((await fetch(`${url}/admin/config`, { headers: bearer })).status).toBe(403);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it("the same listener bound to 127.0.0.1 answers /admin/config (loopback needs no tokens)", async () => {
    const server = createAdminServer(sourceWithoutTokens());
    servers.push(server);
    const bound = await listen(server, "127.0.0.1:0");
    const res = await fetch(`http://127.0.0.1:${bound.port}/admin/config`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { hash: string }).hash).toMatch(/^sha256:/);
  });
});
