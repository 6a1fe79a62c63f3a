import cluster from "node:cluster";
import type { Logger } from "pino";
import type { Snapshot } from "../compile/snapshot.js";
import type { Env } from "../config/interpolate.js";
import type { Clock } from "../deps.js";
import { admit, type BoundAddress } from "../reload/admission.js";
import type { ReloadTarget } from "../reload/reloader.js";
import type { UpstreamStatus } from "../server/admin.js";
import { ALLOW_PLUGIN_PATHS_ENV, APPLY_TIMEOUT_MS, QUERY_TIMEOUT_MS, isFromWorker, type ConfigPayload, type FromWorker, type ToWorker } from "./messages.js";
import { PrimaryMetrics } from "./primary-metrics.js";
import { RestartBackoff, type RestartPolicy } from "./restart-backoff.js";
import { WorkerRequests } from "./worker-requests.js";
import { workerState, type WorkerState, type WorkerView } from "./worker-state.js";

export interface ClusterPrimaryOptions {
  workers: number;
  /** The built worker entry (dist/cli/cluster-worker.js). */
  exec: string;
  /** Folders outside `baseDir` that plugin modules may be loaded from (`--allow-plugin-path`), handed to every worker. */
  allowPluginPaths?: readonly string[];
  /** The environment workers are forked with (their `${VAR}`s). */
  env: Env;
  /** Path and folder of the config file (sent with each config). */
  file: string;
  baseDir: string;
  logger: Logger;
  clock: Clock;
  restart?: RestartPolicy;
}

/**
 * The primary of `aigw serve --workers N` (node:cluster, round-robin
 * accept): it forks the workers, rolls every accepted config out to them,
 * re-forks a worker that dies (exponential backoff per slot), answers the
 * admin listener's questions from the workers' answers, and drains them on
 * shutdown. It serves no data itself. Its `target` is what the Reloader
 * loads into: the first apply starts the workers, the next ones roll out.
 */
export class ClusterPrimary {
  readonly target: ReloadTarget;
  private readonly workers = new Map<number, WorkerState>();
  private readonly restarts: RestartBackoff;
  private current: { snapshot: Snapshot; payload: ConfigPayload; loadedAt: string } | null = null;
  /** The hash being rolled out: a worker already on it counts as current for /ready meanwhile. */
  private rollingOut: string | null = null;
  private metrics: PrimaryMetrics | null = null;
  private stopping: Promise<void> | null = null;
  private readonly requests = new WorkerRequests();
  private url: string | null = null;
  /** The admin listener this primary owns, once bound: every later config is judged against it. */
  private adminAddress: BoundAddress | null = null;

  constructor(private readonly options: ClusterPrimaryOptions) {
    this.restarts = new RestartBackoff(options.workers, options.restart ?? {}, options.clock);
    this.target = {
      currentSnapshot: () => this.current?.snapshot ?? null,
      apply: async (snapshot, context) => {
        if (context === undefined) throw new Error("a cluster reload needs the config text");
        admit(snapshot.config, this.adminAddress);
        const payload: ConfigPayload = { text: context.text, file: options.file, baseDir: options.baseDir, hash: snapshot.hash };
        return this.current === null ? this.start(snapshot, payload) : this.rollout(snapshot, payload);
      },
      countReload: (result) => this.metrics?.configReloads.inc({ result }),
    };
  }

  /** Records where the admin listener is bound (see `admit`). */
  listenersBound(bound: { admin: BoundAddress | null }): void {
    this.adminAddress = bound.admin === null ? null : { address: bound.admin.address, port: bound.admin.port };
  }

  /** The data listener's URL (as the first worker to start reported it). */
  get dataUrl(): string | null {
    return this.url;
  }

  get activeConfig(): { snapshot: Snapshot; loadedAt: string } | null {
    return this.current === null ? null : { snapshot: this.current.snapshot, loadedAt: this.current.loadedAt };
  }

  get primaryMetrics(): PrimaryMetrics | null {
    return this.metrics;
  }

  /** Every forked worker, in slot order. */
  list(): WorkerView[] {
    return [...this.workers.values()].sort((a, b) => a.slot - b.slot).map((w) => ({ worker: w.slot + 1, pid: w.pid, state: w.state, hash: w.hash }));
  }

  /** `/ready`: 200 only when every serving worker runs the accepted config (or the one being rolled out). */
  readiness(): { ready: boolean; body: Record<string, unknown> } {
    const workers = this.list();
    if (this.stopping !== null) return { ready: false, body: { status: "draining", workers } };
    const serving = workers.filter((w) => w.state === "serving");
    if (this.current === null || serving.length === 0) return { ready: false, body: { status: "starting", workers } };
    const accepted = new Set([this.current.snapshot.hash, this.rollingOut]);
    const ready = serving.every((w) => accepted.has(w.hash));
    return { ready, body: { status: ready ? "ready" : "out_of_date", hash: this.current.snapshot.hash, workers } };
  }

  /** Every serving worker's registry (`getMetricsAsJSON()`); a worker that does not answer in time is left out. */
  async workerMetrics(): Promise<unknown[][]> {
    const replies = await Promise.all(this.serving().map((w) => this.requests.ask(w.worker, (id) => ({ type: "aigw:metrics", id }), QUERY_TIMEOUT_MS)));
    return replies.flatMap((r) => (r?.type === "aigw:metrics" && r.metrics !== null ? [r.metrics] : []));
  }

  /** Each serving worker's upstreams (health, breakers and load are per worker). */
  async workerUpstreams(): Promise<(WorkerView & { upstreams: UpstreamStatus[] | null })[]> {
    const serving = this.serving();
    const replies = await Promise.all(serving.map((w) => this.requests.ask(w.worker, (id) => ({ type: "aigw:upstreams", id }), QUERY_TIMEOUT_MS)));
    return serving.map((w, i) => {
      const r = replies[i];
      return { worker: w.slot + 1, pid: w.pid, state: w.state, hash: w.hash, upstreams: r?.type === "aigw:upstreams" ? r.upstreams : null };
    });
  }

  private serving(): WorkerState[] {
    return [...this.workers.values()].filter((w) => w.state === "serving").sort((a, b) => a.slot - b.slot);
  }

  /** The first apply: fork every worker with the config and wait until all listen; any failure stops them all. */
  private async start(snapshot: Snapshot, payload: ConfigPayload): Promise<void> {
    const config = snapshot.config;
    this.metrics = new PrimaryMetrics({ prefix: config.observability.metrics.prefix, liveWorkers: () => this.serving().length });
    cluster.setupPrimary({ exec: this.options.exec, args: [], silent: false });
    const forked = Array.from({ length: this.restarts.size }, (_, slot) => this.fork(slot, payload));
    const started = Promise.all(forked.map((w) => new Promise<void>((resolve, reject) => (w.started = { resolve, reject }))));
    try {
      await started;
    } catch (err) {
      for (const w of forked) if (!w.worker.isDead()) w.worker.process.kill("SIGKILL");
      throw err;
    }
    this.commit(snapshot, payload);
    this.options.logger.info({ workers: this.list().map((w) => ({ worker: w.worker, pid: w.pid })) }, "workers started");
  }

  /** A new config for every worker; fails (the running one stays everywhere) only when no worker could apply it. */
  private async rollout(snapshot: Snapshot, payload: ConfigPayload): Promise<void> {
    const targets = [...this.workers.values()].filter((w) => w.state !== "stopping");
    this.rollingOut = payload.hash;
    let results: { worker: WorkerState; error: string | null }[];
    try {
      results = await Promise.all(targets.map(async (w) => ({ worker: w, error: await this.applyTo(w, payload) })));
    } finally {
      this.rollingOut = null;
    }
    const failed = results.filter((r) => r.error !== null);
    if (targets.length > 0 && failed.length === targets.length) {
      throw new Error(`no worker could apply the config: ${failed[0]!.error}`);
    }
    this.commit(snapshot, payload);
    if (failed.length > 0) {
      this.metrics?.applyFailures.inc(failed.length);
      this.options.logger.error(
        { hash: payload.hash, failed: failed.map((f) => ({ worker: f.worker.slot + 1, pid: f.worker.pid, error: f.error })) },
        "some workers could not apply the new config and keep their running one: /ready answers 503 until they converge",
      );
    }
  }

  private commit(snapshot: Snapshot, payload: ConfigPayload): void {
    this.current = { snapshot, payload, loadedAt: new Date(this.options.clock.now()).toISOString() };
    this.metrics?.setConfig(snapshot.hash);
    const level = snapshot.config.observability.logs.level;
    if (level !== undefined) this.options.logger.level = level;
    this.reconcile();
  }

  /** Sends the accepted config to a serving worker that runs another one (forked during a rollout), once per hash. */
  private reconcile(): void {
    const current = this.current;
    if (current === null || this.stopping !== null) return;
    for (const w of this.serving()) {
      if (w.hash === current.payload.hash || w.applying || w.failedHash === current.payload.hash) continue;
      void this.applyTo(w, current.payload).then((error) => {
        if (error !== null) this.metrics?.applyFailures.inc();
      });
    }
  }

  /** Resolves with null when the worker applied the config, else why not. */
  private async applyTo(w: WorkerState, payload: ConfigPayload): Promise<string | null> {
    w.applying = true;
    const reply = await this.requests.ask(w.worker, (id) => ({ type: "aigw:apply", id, config: payload }), APPLY_TIMEOUT_MS);
    w.applying = false;
    if (reply?.type === "aigw:applied") {
      w.hash = reply.hash;
      w.failedHash = null;
      return null;
    }
    w.failedHash = payload.hash;
    return reply?.type === "aigw:apply-failed" ? reply.error : this.workers.has(w.worker.id) ? "no answer in time" : "the worker exited";
  }

  private fork(slot: number, payload: ConfigPayload): WorkerState {
    const worker = cluster.fork({ ...this.options.env, AIGW_WORKER_SLOT: String(slot + 1), [ALLOW_PLUGIN_PATHS_ENV]: JSON.stringify(this.options.allowPluginPaths ?? []) });
    const w = workerState(slot, worker);
    this.workers.set(worker.id, w);
    worker.on("message", (m: unknown) => {
      if (isFromWorker(m)) this.onMessage(w, m, payload);
    });
    worker.on("exit", (code, signal) => this.onExit(w, code, signal));
    return w;
  }

  private onMessage(w: WorkerState, m: FromWorker, startWith: ConfigPayload): void {
    switch (m.type) {
      case "aigw:hello":
        // A worker forked during a rollout starts on the accepted config and is reconciled once it listens.
        w.worker.send({ type: "aigw:start", config: this.current?.payload ?? startWith } satisfies ToWorker);
        return;
      case "aigw:started":
        if (w.state === "starting") w.state = "serving";
        w.hash = m.hash;
        w.servingSince = this.options.clock.monotonic();
        if (this.url !== null && this.url !== m.address.url) this.options.logger.warn({ data: m.address.url }, "the data listener moved to a new address (every worker had exited and the config says port 0)");
        this.url = m.address.url;
        w.started.resolve();
        this.reconcile();
        return;
      case "aigw:start-failed":
        w.startError = m.error;
        return;
      default:
        this.requests.answer(m);
    }
  }

  private onExit(w: WorkerState, code: number | null, signal: string | null): void {
    this.workers.delete(w.worker.id);
    this.requests.forget(w.worker);
    w.started.reject(new Error(`a worker could not start: ${w.startError ?? `it exited (${signal ?? code})`}`));
    if (this.stopping !== null || this.current === null) return;
    const delayMs = this.restarts.schedule(w.slot, w.servingSince, () => {
      const current = this.current;
      if (this.stopping === null && current !== null) this.fork(w.slot, current.payload);
    });
    this.metrics?.restarts.inc();
    this.options.logger.error({ worker: w.slot + 1, pid: w.pid, code, signal, delayMs, error: w.startError ?? undefined }, "a worker exited unexpectedly: forking a new one");
  }

  /**
   * Every worker drains as DESIGN.md 6 says (`drainDelayMs`, `graceMs`) and
   * exits; one still running `graceMs` + 5 s later is killed. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.restarts.cancel();
      // Before any config was accepted no worker serves: nothing to wait for.
      const graceMs = this.current?.snapshot.config.server.shutdown.graceMs ?? 0;
      const all = [...this.workers.values()];
      const exited = all.map((w) => new Promise<void>((resolve) => (w.worker.isDead() ? resolve() : w.worker.once("exit", () => resolve()))));
      for (const w of all) {
        w.state = "stopping";
        try {
          w.worker.send({ type: "aigw:shutdown" } satisfies ToWorker);
        } catch {
          // Its channel is gone: it exits on its own (cluster workers exit when the primary disconnects).
        }
      }
      const deadline = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), graceMs + 5_000).unref());
      if ((await Promise.race([Promise.all(exited), deadline])) === "late") {
        for (const w of all) if (!w.worker.isDead()) w.worker.process.kill("SIGKILL");
        await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 1_000).unref())]);
      }
    })();
    return this.stopping;
  }
}
