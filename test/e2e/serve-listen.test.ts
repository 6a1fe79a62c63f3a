import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
let held: Server | undefined;

afterEach(async () => {
  await new Promise<void>((done) => (held === undefined ? done() : held.close(() => done())));
  held = undefined;
});

/** A port this test holds, so the gateway cannot bind it. */
async function busyPort(): Promise<number> {
  held = createServer();
  await new Promise<void>((done) => held!.listen(0, "127.0.0.1", done));
  return (held.address() as AddressInfo).port;
}

/** Runs `aigw serve` to its exit (it must not start). */
function serveOutcome(listen: string, admin: string): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "aigw-listen-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, `version: 1\nserver: { listen: "${listen}", admin: "${admin}" }\nupstreams:\n  - { name: m, type: mock }\nroutes:\n  - { name: all, upstream: m }\n`);
  const child = spawn(process.execPath, [resolve(root, "bin/aigw"), "serve", "--config", file, "--no-watch"], { cwd: root, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // A bound for a gateway that started after all (the test then fails on its exit code).
  const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
  return new Promise((done, fail) => {
    child.once("error", fail);
    child.once("close", (code) => {
      clearTimeout(guard);
      done({ code, stderr });
    });
  });
}

describe("aigw serve on an address it cannot bind", () => {
  it("says which listener and why, and exits 1 (not an internal error)", async () => {
    const port = await busyPort();
    const data = await serveOutcome(`127.0.0.1:${port}`, "127.0.0.1:0");
    expect(data.code).toBe(1);
    expect(data.stderr).toBe(`aigw: cannot listen on 127.0.0.1:${port}: the address is already in use (another process listens there); not starting\n`);

    const admin = await serveOutcome("127.0.0.1:0", `127.0.0.1:${port}`);
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain(`aigw: cannot listen on 127.0.0.1:${port}: the address is already in use`);
    expect(admin.stderr).not.toContain("internal error");
  });
});
