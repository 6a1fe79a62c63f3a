import { availableParallelism } from "node:os";
import { systemClock } from "../../deps.js";
import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { createLogger, flushLogger, flushPeriodically } from "../../observability/logger.js";
import { GatewayServeTarget } from "../../server/gateway-serve-target.js";
import { serveTarget } from "../../server/serve.js";
import type { ConfigLocation, Listening, ServeOptions, ServeTarget } from "../../server/serve-target.js";
import { capYoungGeneration } from "../../server/young-generation.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { MAX_CONFIG_BYTES } from "../../config/limits.js";
import { pluginReview } from "../plugin-review.js";

export interface ServeCommandOptions {
  config: string;
  watch: boolean;
  /** `--workers <n|auto>`; `AIGW_WORKERS` when absent; 1 by default. */
  workers?: string;
  /** `--allow-plugin-path <dir>` (repeatable): directories besides the config's that may hold plugin modules. */
  allowPluginPath?: string[];
}

/**
 * The number of processes serving data: `--workers`, else `AIGW_WORKERS`,
 * else 1; `auto` is the CPUs this process may use. A usage error otherwise.
 */
export function workerCount(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, cpus: () => number = availableParallelism): number {
  const fromEnv = env.AIGW_WORKERS?.trim();
  const raw = flag ?? (fromEnv === "" ? undefined : fromEnv);
  if (raw === undefined) return 1;
  const value = raw.trim().toLowerCase();
  if (value === "auto") return Math.max(1, cpus());
  if (/^[1-9][0-9]{0,3}$/.test(value)) return Number(value);
  const source = flag === undefined ? "AIGW_WORKERS" : "--workers";
  throw new AigwError(ErrorCode.Usage, `${source} must be an integer from 1 to 9999 or "auto", not "${raw}"`);
}

/**
 * What serves: one gateway in this process (`workers` 1, the default), or a
 * node:cluster primary with `workers` processes. Both run under the same
 * control loop; the cluster's module loads only when asked for.
 */
async function targetFor(options: ServeOptions, workers: number): Promise<(where: ConfigLocation) => ServeTarget<Listening>> {
  if (workers === 1) return (where) => new GatewayServeTarget({ ...options, trimWhenIdle: true }, where);
  const { ClusterServeTarget } = await import("../../cluster/serve-cluster.js");
  return (where) => new ClusterServeTarget({ ...options, workers }, where);
}

/** Semi-space cap for `serve` (MiB): `AIGW_MAX_SEMI_SPACE_MB`, 0 to leave V8's default. */
export function youngGenerationCapMb(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.AIGW_MAX_SEMI_SPACE_MB;
  const value = raw === undefined || raw.trim() === "" ? DEFAULT_SEMI_SPACE_MB : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_SEMI_SPACE_MB;
}
const DEFAULT_SEMI_SPACE_MB = 4;

/**
 * `aigw serve --config F [--no-watch] [--workers N]`: runs until
 * SIGTERM/SIGINT (exit 0); SIGHUP reloads; 1 when the first load fails.
 */
export async function serveCommand(opts: ServeCommandOptions, io: Io): Promise<number> {
  const workers = workerCount(opts.workers, io.env);
  const { allowPluginPaths } = pluginReview({ allowPluginPath: opts.allowPluginPath }, io.cwd);
  const logger = createLogger({ level: "info", sharedStdout: workers > 1 });
  const stopFlushing = flushPeriodically(logger);
  const stopCapping = capYoungGeneration(youngGenerationCapMb(io.env));
  // Installed first: SIGHUP's default action would end the process.
  let reload: (() => void) | null = null;
  const onHup = (): void => {
    logger.info({ signal: "SIGHUP" }, "signal received: reloading");
    reload?.();
  };
  process.on("SIGHUP", onHup);
  const options: ServeOptions = {
    config: opts.config,
    cwd: io.cwd,
    env: io.env,
    readFile: (path: string) => io.readFile(path, MAX_CONFIG_BYTES + 1),
    logger,
    clock: systemClock,
    random: Math.random,
    watch: opts.watch,
    allowPluginPaths,
  };
  const notStarting = (): number => {
    process.off("SIGHUP", onHup);
    stopFlushing();
    stopCapping();
    flushLogger(logger);
    return ExitCode.Findings;
  };
  let started: Awaited<ReturnType<typeof serveTarget>>;
  try {
    started = await serveTarget(options, await targetFor(options, workers));
  } catch (err) {
    if (!AigwError.is(err) || err.code !== ErrorCode.Listen) throw err;
    io.stderr(`aigw: ${err.message}; not starting\n`);
    return notStarting();
  }
  const { serving, first } = started;
  if (serving === null) {
    for (const f of first.findings) io.stderr(`${f.file}:${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}\n`);
    if (first.error !== undefined) io.stderr(`aigw: ${first.error}\n`);
    io.stderr(first.findings.some((f) => f.severity === "error") || first.error === undefined ? "aigw: the config is invalid; not starting\n" : "aigw: not starting\n");
    return notStarting();
  }
  const snapshot = serving.target.reload.currentSnapshot()!;
  logger.info({ data: serving.dataUrl, admin: serving.adminUrl, hash: snapshot.hash, routes: snapshot.routes.length, watch: opts.watch, ...serving.target.describe() }, "aigw listening");
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
  stopCapping();
  flushLogger(logger);
  return ExitCode.Ok;
}
