// The entry of an `aigw serve --workers N` worker process (forked by the
// primary through node:cluster from dist/cli/cluster-worker.js). Like
// bin/aigw, an entry point: it owns the process (signals, exit).
import cluster from "node:cluster";
import { ClusterWorker } from "../cluster/worker.js";
import { ALLOW_PLUGIN_PATHS_ENV, isToWorker, type FromWorker } from "../cluster/messages.js";
import { systemClock } from "../deps.js";
import { createLogger, flushLogger, flushPeriodically } from "../observability/logger.js";
import { capYoungGeneration } from "../server/young-generation.js";
import { youngGenerationCapMb } from "./commands/serve.js";
import { trimGatewayWhenIdle } from "../server/idle-trim.js";

/** Sends to the primary and remembers the send until it is flushed, so the worker can wait for its last messages before exiting. */
function primaryChannel(): { send(message: FromWorker): void; flushed(): Promise<unknown> } {
  const sends = new Set<Promise<void>>();
  return {
    send(message) {
      const sent = new Promise<void>((resolve) => {
        try {
          process.send!(message, undefined, {}, () => resolve());
        } catch {
          resolve(); // the primary is gone
        }
      });
      sends.add(sent);
      void sent.then(() => sends.delete(sent));
    },
    flushed: () => Promise.all(sends),
  };
}

/** Runs this worker until it has drained (the primary asked, or a signal came), then ends the process. */
async function runWorker(): Promise<never> {
  if (!cluster.isWorker || process.send === undefined) {
    process.stderr.write("aigw: cluster-worker.js is started by `aigw serve --workers N`, not directly\n");
    process.exit(2);
  }
  const slot = Number(process.env.AIGW_WORKER_SLOT ?? cluster.worker?.id ?? 0);
  const logger = createLogger({ level: "info", base: { worker: slot, pid: process.pid }, sharedStdout: true });
  const stopFlushing = flushPeriodically(logger);
  const stopCapping = capYoungGeneration(youngGenerationCapMb(process.env));
  // The primary reloads on SIGHUP and sends the config; a worker ignores it
  // (its default action would end the process).
  process.on("SIGHUP", () => undefined);

  const channel = primaryChannel();
  const worker = new ClusterWorker({
    logger,
    clock: systemClock,
    random: Math.random,
    env: process.env,
    allowPluginPaths: JSON.parse(process.env[ALLOW_PLUGIN_PATHS_ENV] ?? "[]") as string[],
    channel: {
      send: channel.send,
      onMessage: (handler) =>
        process.on("message", (m: unknown) => {
          if (isToWorker(m)) handler(m);
        }),
    },
  });
  const stopTrimming = trimGatewayWhenIdle(() => worker.gateway(), process.env, logger);
  // A signal sent to the worker alone (or to the whole process group) drains it
  // too; the primary forks a replacement unless it is shutting down itself.
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "signal received");
    void worker.shutdown();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);

  await worker.done;
  await Promise.race([channel.flushed(), new Promise((r) => setTimeout(r, 1000).unref())]);
  stopTrimming();
  stopFlushing();
  stopCapping();
  flushLogger(logger);
  process.exit(0);
}

await runWorker();
