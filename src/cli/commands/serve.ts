import { systemClock } from "../../deps.js";
import { createLogger, flushLogger, flushPeriodically } from "../../observability/logger.js";
import { serve } from "../../server/serve.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";

export interface ServeCommandOptions {
  config: string;
  watch: boolean;
}

/**
 * `aigw serve --config F [--no-watch]`: runs until SIGTERM/SIGINT (exit 0);
 * SIGHUP reloads; 1 when the first load fails.
 */
export async function serveCommand(opts: ServeCommandOptions, io: Io): Promise<number> {
  const logger = createLogger({ level: "info" });
  const stopFlushing = flushPeriodically(logger);
  // Installed first: SIGHUP's default action would end the process.
  let reload: (() => void) | null = null;
  const onHup = (): void => {
    logger.info({ signal: "SIGHUP" }, "signal received: reloading");
    reload?.();
  };
  process.on("SIGHUP", onHup);
  const { serving, first } = await serve({
    config: opts.config,
    cwd: io.cwd,
    env: io.env,
    readFile: io.readFile,
    logger,
    clock: systemClock,
    random: Math.random,
    watch: opts.watch,
  });
  if (serving === null) {
    for (const f of first.findings) io.stderr(`${f.file}:${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}\n`);
    if (first.error !== undefined) io.stderr(`aigw: ${first.error}\n`);
    io.stderr("aigw: the config is invalid; not starting\n");
    process.off("SIGHUP", onHup);
    stopFlushing();
    flushLogger(logger);
    return ExitCode.Findings;
  }
  const snapshot = serving.gateway.currentSnapshot()!;
  logger.info({ data: serving.dataUrl, admin: serving.adminUrl, hash: snapshot.hash, routes: snapshot.routes.length, watch: opts.watch }, "aigw listening");
  flushLogger(logger);

  reload = () => void serving.reloader.reload("signal");
  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, "signal received");
      void serving.stop().then(resolveStop);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  process.off("SIGHUP", onHup);
  stopFlushing();
  flushLogger(logger);
  return ExitCode.Ok;
}
