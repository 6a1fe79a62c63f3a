import { afterEach, describe, expect, it } from "vitest";
import { spawnGateway, type ChildGateway } from "../helpers/child.js";
import { ConfigDir } from "../helpers/config-dir.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";

describe("stdout of a real `aigw serve`", () => {
  let up: FakeUpstream | undefined;
  let gw: ChildGateway | undefined;
  afterEach(async () => {
    if (gw !== undefined && gw.child.exitCode === null) gw.child.kill("SIGKILL");
    gw = undefined;
    await up?.close();
  });

  it("writes every access line, the last ones gathered in a batch included, before it exits on SIGTERM", async () => {
    up = await new FakeUpstream().start();
    const { file } = new ConfigDir(
      "in-place",
      `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: all, upstream: svc }
`,
    );
    gw = await spawnGateway(file);
    const ids = Array.from({ length: 150 }, (_, i) => `batch-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map((id) => fetch(`${gw!.dataUrl}/x`, { headers: { "x-request-id": id } }).then((r) => r.text())));
    }
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const logged = gw.logs.filter((l) => l.type === "access").map((l) => l.requestId);
    expect(logged.sort()).toEqual([...ids].sort());
    expect(gw.logs.at(-1)?.msg).toBe("shutdown complete");
  });
});
