import { Writable } from "node:stream";
import pino from "pino";
import { buildSnapshot } from "../../src/compile/build.js";
import type { Clock } from "../../src/deps.js";
import { GatewayMetrics } from "../../src/observability/metrics.js";
import { Gateway } from "../../src/server/gateway.js";
import { startGateway } from "../../src/server/runtime.js";
import type { TestGateway } from "./gateway.js";

/** A clock that moves only when told to. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2030, 0, 1)): FakeClock {
  let wall = start;
  let mono = 1_000;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
  };
}

/**
 * A real gateway in-process from YAML text, as `startTestGateway`, but
 * reading time from `clock` (rate-limit windows, token expiry).
 */
export async function startClockedGateway(yaml: string, clock: Clock): Promise<TestGateway> {
  const result = buildSnapshot(yaml, "test-gateway.yaml", { mode: "serve", env: {}, fileExists: () => true });
  if (result.snapshot === undefined) {
    throw new Error("test config invalid:\n" + result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join("\n"));
  }
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: "info" }, sink);
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const gateway = new Gateway({ clock, logger, random: Math.random, metrics });
  await gateway.apply(result.snapshot);
  const running = await startGateway(gateway, result.snapshot, { baseDir: process.cwd() });
  return { running, url: running.dataUrl, adminUrl: running.adminUrl, gateway, logs, close: () => running.shutdown() };
}
