import { readFile } from "node:fs/promises";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent, request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/deps.js";
import { serve, type ServingGateway } from "../../src/server/serve.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";

const fakes: FakeUpstream[] = [];
let serving: ServingGateway | null = null;

afterAll(async () => {
  await serving?.stop();
  await Promise.all(fakes.map((f) => f.close()));
});

/** Counts of the kinds of resource that would leak: sockets and timers. */
function resources(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return { sockets: info.filter((r) => r === "TCPSocketWrap").length, timers: info.filter((r) => r === "Timeout").length };
}

describe("reconciling resources across reloads", () => {
  it("keeps sockets and timers flat over 200 reloads: unchanged pools reused, removed pools closed", async () => {
    for (let i = 0; i < 3; i++) fakes.push(await new FakeUpstream().start());
    const [a, b, c] = fakes as [FakeUpstream, FakeUpstream, FakeUpstream];
    const dir = mkdtempSync(join(tmpdir(), "aigw-leak-"));
    const file = join(dir, "gateway.yaml");
    // A adds upstream c (a pool created, then removed by B); a and b are the same in both.
    const version = (n: number) => `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
observability: { logs: { accessLog: false } }
upstreams:
  - { name: a, type: http, targets: [{ url: "${a.url}" }] }
  - { name: b, type: http, targets: [{ url: "${b.url}" }] }
${n % 2 === 0 ? `  - { name: c, type: http, targets: [{ url: "${c.url}" }] }` : ""}
routes:
  - { name: one, match: { pathPrefix: /one }, upstream: ${n % 2 === 0 ? "a" : "b"} }
${n % 2 === 0 ? "  - { name: three, match: { pathPrefix: /three }, upstream: c }" : ""}
# version ${n}
`;
    writeFileSync(file, version(0));
    const started = await serve({
      config: file,
      cwd: dir,
      env: {},
      readFile: (f) => readFile(f, "utf8"),
      logger: pino({ level: "silent" }),
      clock: systemClock,
      random: Math.random,
      watch: false,
    });
    expect(started.first.result).toBe("success");
    serving = started.serving!;
    const agent = new Agent({ connections: 4 });
    const traffic = async (n: number) => {
      const paths = n % 2 === 0 ? ["/one", "/three"] : ["/one"];
      for (const p of paths) {
        const res = await request(`${serving!.dataUrl}${p}/x`, { dispatcher: agent });
        await res.body.text();
        expect(res.statusCode).toBe(200);
      }
    };
    // A replaced generation's retire() resolves once its leases are given back (a removed pool
    // closed): the counts are taken after that, not after a pause.
    const retired: Promise<void>[] = [];
    let at20: { sockets: number; timers: number } | null = null;
    for (let n = 1; n <= 201; n++) {
      writeFileSync(file, version(n));
      const previous = serving.gateway.current!;
      const r = await serving.reloader.reload("admin");
      expect(r.result).toBe("success");
      retired.push(previous.retire());
      await traffic(n);
      if (n === 20) {
        await Promise.all(retired);
        at20 = resources();
      }
    }
    await Promise.all(retired);
    const at200 = resources();
    // The last version (201) has no upstream c: its pool is gone; a and b were reused throughout.
    expect(serving.gateway.registry.count("pool")).toBe(2);
    expect(at200.sockets).toBeLessThanOrEqual(at20!.sockets + 2);
    expect(at200.timers).toBeLessThanOrEqual(at20!.timers + 2);
    expect(serving.reloader.history().length).toBe(20);
    await agent.close();
  }, 60_000);
});
