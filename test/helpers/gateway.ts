import { dirname } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { buildSnapshot } from "../../src/compile/build.js";
import { systemClock, type Clock } from "../../src/deps.js";
import { GatewayMetrics } from "../../src/observability/metrics.js";
import { Gateway } from "../../src/server/gateway.js";
import { startGateway, type RunningGateway } from "../../src/server/runtime.js";

export interface TestGateway {
  running: RunningGateway;
  url: string;
  adminUrl: string;
  gateway: Gateway;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * Starts a real gateway in-process from YAML text (serve mode). `listen` and
 * `admin` default to 127.0.0.1:0 unless the YAML sets them. `file` is where
 * the config is taken to live (plugin modules resolve next to it). `clock`
 * is the time the gateway reads (rate-limit windows, breaker cool-downs,
 * token expiry): pass a fake one (`fakeClock`) to move time by hand.
 */
export async function startTestGateway(yaml: string, options: { env?: Record<string, string>; file?: string; clock?: Clock } = {}): Promise<TestGateway> {
  const text = /^server:/m.test(yaml) ? yaml : `${yaml}\nserver:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  shutdown: { drainDelayMs: 0, graceMs: 2000 }\n`;
  const result = buildSnapshot(text, options.file ?? "test-gateway.yaml", { mode: "serve", env: options.env ?? {}, fileExists: () => true });
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
  const gateway = new Gateway({ clock: options.clock ?? systemClock, logger, random: Math.random, metrics });
  await gateway.apply(result.snapshot);
  const running = await startGateway(gateway, result.snapshot, { baseDir: options.file === undefined ? process.cwd() : dirname(options.file) });
  return {
    running,
    url: running.dataUrl,
    adminUrl: running.adminUrl,
    gateway,
    logs,
    close: () => running.shutdown(),
  };
}
