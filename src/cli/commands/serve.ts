import { dirname, resolve } from "node:path";
import { systemClock } from "../../deps.js";
import { createLogger, flushLogger, flushPeriodically } from "../../observability/logger.js";
import { GatewayMetrics } from "../../observability/metrics.js";
import { Gateway } from "../../server/gateway.js";
import { startGateway } from "../../server/runtime.js";
import { buildFromFile } from "../config-file.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { formatText, toFinding } from "../output/findings.js";

export interface ServeOptions {
  config: string;
}

/** `aigw serve --config F`: runs until SIGTERM/SIGINT; 1 when the first load fails. */
export async function serveCommand(opts: ServeOptions, io: Io): Promise<number> {
  const result = await buildFromFile(opts.config, io, "serve");
  const level = result.snapshot?.config.observability?.logs?.level ?? "info";
  const logger = createLogger({ level });
  const stopFlushing = flushPeriodically(logger);
  if (result.snapshot === undefined) {
    io.stderr(formatText(result.diagnostics, false));
    logger.error({ findings: result.diagnostics.map(toFinding) }, "config invalid: not starting");
    stopFlushing();
    flushLogger(logger);
    return ExitCode.Findings;
  }
  for (const d of result.diagnostics) logger.warn({ finding: toFinding(d) }, d.message);
  const snapshot = result.snapshot;
  const metrics = new GatewayMetrics({ prefix: snapshot.config.observability?.metrics?.prefix ?? "aigw_" });
  const gateway = new Gateway({ clock: systemClock, logger, random: Math.random, metrics });
  gateway.apply(snapshot);
  metrics.configReloads.inc({ result: "success" });
  const running = await startGateway(gateway, snapshot, { baseDir: dirname(resolve(io.cwd, opts.config)) });
  logger.info({ data: running.dataUrl, admin: running.adminUrl, hash: snapshot.hash, routes: snapshot.routes.length }, "aigw listening");
  flushLogger(logger);

  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, "signal received");
      void running.shutdown().then(resolveStop);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  stopFlushing();
  flushLogger(logger);
  return ExitCode.Ok;
}
