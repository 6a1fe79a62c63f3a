import { createServer, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { Cancel } from "../../src/lifecycle/cancel.js";
import { DrainWait } from "../../src/pipeline/drain.js";

/** A real server whose one client sends a request and then never reads: the response's socket fills up. */
async function stuckResponse(): Promise<{ res: ServerResponse; leave: () => void; close: () => void }> {
  let give!: (res: ServerResponse) => void;
  const got = new Promise<ServerResponse>((resolve) => (give = resolve));
  const server = createServer((_req, res) => give(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, "127.0.0.1");
  client.pause();
  client.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
  const res = await got;
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const block = Buffer.alloc(256 * 1024);
  while (res.write(block));
  return { res, leave: () => client.destroy(), close: () => server.close() };
}

describe("DrainWait", () => {
  it("ends the wait when the client's connection closes while its socket is full: one of drain or gone, then no listeners", async () => {
    const { res, leave, close } = await stuckResponse();
    const events: string[] = [];
    const wait = new DrainWait(res, () => events.push("drain"), () => events.push("gone"));
    wait.start();
    wait.start(); // a second start while waiting is a no-op
    expect(res.listenerCount("close")).toBeGreaterThan(0);
    leave();
    await new Promise<void>((resolve) => res.once("close", () => setImmediate(resolve)));
    expect(events).toHaveLength(1);
    expect(res.listenerCount("drain")).toBe(0);
    close();
  });

  it("reports gone at once (on a microtask) for a response already closed", async () => {
    const { res, leave, close } = await stuckResponse();
    leave();
    await new Promise<void>((resolve) => res.once("close", () => resolve()));
    const events: string[] = [];
    new DrainWait(res, () => events.push("drain"), () => events.push("gone")).start();
    expect(events).toEqual([]);
    await Promise.resolve();
    expect(events).toEqual(["gone"]);
    close();
  });
});

describe("Cancel", () => {
  it("calls a listener added after the abort (on a microtask), and every listener even if one throws", async () => {
    const failures: unknown[] = [];
    const cancel = new Cancel({ error: (fields) => failures.push((fields as { err: unknown }).err) });
    const heard: string[] = [];
    cancel.onAbort(() => {
      throw new Error("listener bug");
    });
    cancel.onAbort(() => heard.push("second"));
    cancel.abort();
    expect(heard).toEqual(["second"]);
    expect(failures).toHaveLength(1);
    cancel.onAbort(() => heard.push("late"));
    expect(heard).toEqual(["second"]);
    await Promise.resolve();
    expect(heard).toEqual(["second", "late"]);
  });
});
