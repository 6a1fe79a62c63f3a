import type { Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { Env } from "../config/interpolate.js";
import type { Clock } from "../deps.js";
import { SnapshotBuilder } from "../reload/builder.js";
import { upstreamStatus } from "../server/admin.js";
import { startDataPlane, type RunningDataPlane } from "../server/runtime.js";
import { gatewayTarget } from "../server/gateway-serve-target.js";
import type { Gateway } from "../server/gateway.js";
import type { ConfigPayload, FromWorker, ToWorker } from "./messages.js";

/** How a worker talks to its primary (node:cluster IPC in production). */
export interface WorkerChannel {
  send(message: FromWorker): void;
  onMessage(handler: (message: ToWorker) => void): void;
}

export interface ClusterWorkerDeps {
  logger: Logger;
  clock: Clock;
  random: () => number;
  /** The environment `${VAR}`s resolve from (the primary's, inherited at fork). */
  env: Env;
  channel: WorkerChannel;
  /** Parse and check in a worker thread (default true). */
  buildThread?: boolean;
  /** Folders outside the config's that plugin modules may be loaded from (the primary's `--allow-plugin-path`). */
  allowPluginPaths?: readonly string[];
}

/**
 * One worker of `aigw serve --workers N`: a Gateway and its data listener.
 * It never reads the config file: the primary sends the text it accepted,
 * and the worker builds its own snapshot from it (so every worker runs the
 * same version even if the file changed meanwhile) and checks that the hash
 * agrees. Starts and applies run one at a time, in arrival order; a failed
 * apply keeps the running config and is reported. Resolves `done` once
 * shut down.
 */
export class ClusterWorker {
  readonly done: Promise<void>;
  /** Reloads parse in a worker thread, so requests keep flowing; the first build runs here (nothing is served yet, and a thread would only slow the start). */
  private readonly builder: SnapshotBuilder;
  private readonly startBuilder = new SnapshotBuilder({ inProcess: true });
  private readonly target: ReturnType<typeof gatewayTarget>;
  private running: RunningDataPlane | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private finish!: () => void;
  /** Leaves the environment's values out of an error about the config being built or applied. */
  private scrub: (text: string) => string = (text) => text;

  constructor(private readonly deps: ClusterWorkerDeps) {
    this.builder = new SnapshotBuilder({ inProcess: deps.buildThread === false });
    this.target = gatewayTarget(deps);
    this.done = new Promise((resolve) => (this.finish = resolve));
    deps.channel.onMessage((m) => this.handle(m));
    // Listening now: the primary sends the config only after this.
    deps.channel.send({ type: "aigw:hello" });
  }

  /** The gateway once the first config is applied (null before). */
  gateway(): Gateway | null {
    return this.target.gateway();
  }

  private handle(m: ToWorker): void {
    switch (m.type) {
      case "aigw:start":
        this.enqueue(() => this.start(m.config));
        return;
      case "aigw:apply":
        this.enqueue(() => this.apply(m.id, m.config));
        return;
      case "aigw:metrics":
        void this.metrics().then((metrics) => this.deps.channel.send({ type: "aigw:metrics", id: m.id, metrics }));
        return;
      case "aigw:upstreams": {
        const gateway = this.target.gateway();
        this.deps.channel.send({ type: "aigw:upstreams", id: m.id, upstreams: gateway === null ? [] : upstreamStatus(gateway) });
        return;
      }
      case "aigw:shutdown":
        void this.shutdown();
        return;
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task, task);
  }

  private async build(config: ConfigPayload, builder = this.builder): Promise<Snapshot> {
    const outcome = await builder.build({ text: config.text, file: config.file, mode: "serve", env: this.deps.env, baseDir: config.baseDir, previousCanonical: null, allowPluginPaths: this.deps.allowPluginPaths ?? [] });
    this.scrub = outcome.scrub;
    const snapshot = outcome.snapshot;
    if (snapshot === undefined) {
      const first = outcome.diagnostics.find((d) => d.severity === "error");
      throw new Error(first === undefined ? "the config is invalid" : `${first.file}:${first.line}:${first.column} [${first.rule}] ${first.message}`);
    }
    if (snapshot.hash !== config.hash) {
      // Same text, different result: the worker's environment differs from the primary's.
      throw new Error(`the config built to ${snapshot.hash} in the worker but ${config.hash} in the primary`);
    }
    return snapshot;
  }

  private async start(config: ConfigPayload): Promise<void> {
    if (this.stopping !== null) return;
    try {
      const snapshot = await this.build(config, this.startBuilder);
      await this.target.target.apply(snapshot);
      if (this.stopping !== null) return;
      const gateway = this.target.gateway()!;
      this.running = await startDataPlane(gateway, snapshot, config.baseDir);
      this.deps.channel.send({ type: "aigw:started", hash: snapshot.hash, address: { url: this.running.dataUrl, port: this.running.dataAddress.port } });
    } catch (err) {
      const error = this.scrub((err as Error).message);
      this.deps.logger.error({ err: this.scrubbedError(err) }, `worker could not start: ${error}`);
      this.deps.channel.send({ type: "aigw:start-failed", error });
      void this.shutdown();
    }
  }

  private async apply(id: number, config: ConfigPayload): Promise<void> {
    if (this.stopping !== null) {
      this.deps.channel.send({ type: "aigw:apply-failed", id, error: "the worker is shutting down" });
      return;
    }
    try {
      if (this.target.target.currentSnapshot()?.hash !== config.hash) await this.target.target.apply(await this.build(config));
      this.deps.channel.send({ type: "aigw:applied", id, hash: config.hash });
    } catch (err) {
      const error = this.scrub((err as Error).message);
      this.deps.logger.error({ err: this.scrubbedError(err), hash: config.hash }, `worker could not apply the config: ${error}; its running config stays`);
      this.deps.channel.send({ type: "aigw:apply-failed", id, error });
    }
  }

  private scrubbedError(err: unknown): { type: string; message: string; stack?: string } {
    const e = err as Error | undefined;
    const out: { type: string; message: string; stack?: string } = { type: e?.name ?? "Error", message: this.scrub(e?.message ?? String(err)) };
    if (typeof e?.stack === "string") out.stack = this.scrub(e.stack);
    return out;
  }

  private async metrics(): Promise<unknown[] | null> {
    const gateway = this.target.gateway();
    if (gateway === null || !gateway.metrics.enabled) return null;
    return gateway.metrics.registry.getMetricsAsJSON();
  }

  /**
   * DESIGN.md 6 drain of the data plane, then the build thread; idempotent.
   * A start or apply under way finishes first (a start then skips listening).
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.queue;
        await this.running?.shutdown();
        if (this.running === null) await this.target.gateway()?.close();
        await this.builder.close();
      } finally {
        this.finish();
      }
    })();
    return this.stopping;
  }
}
