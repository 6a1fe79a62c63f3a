import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { until } from "./until.js";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A real redis-server on a free port on 127.0.0.1, no persistence. `stop()`
 * kills it (to test Redis outages), `start()` brings it back on the same
 * port. `.ci/run` installs redis-server when it is missing.
 */
export class RedisServer {
  port = 0;
  private child: ChildProcess | null = null;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], {
      stdio: "ignore",
    });
    this.child = child;
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    await until(
      async () => {
        try {
          await client.connect();
          await client.ping();
          return true;
        } catch {
          if (child.exitCode !== null) throw new Error("redis-server exited at start (is it installed? .ci/run installs it)");
          return false;
        } finally {
          client.disconnect();
        }
      },
      "redis-server to answer PING",
      5_000,
      50,
    );
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}
