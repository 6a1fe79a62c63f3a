import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { compileInSlices } from "../compile/compile.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { Diagnostic } from "../config/diagnostic.js";
import { scrubList, scrubValues } from "../config/provenance.js";
import type { Position } from "../config/source.js";
import type { GatewayConfig, Route } from "../config/types.js";
import type { ChangeSummary } from "../plan/summary.js";
import type { BuildMessage, BuildRequest } from "./messages.js";

export interface BuildOutcome {
  diagnostics: Diagnostic[];
  /** Present when the config is valid. */
  snapshot?: Snapshot;
  /** What changes against `previousCanonical`. */
  summary?: ChangeSummary;
  /** The canonical JSON of the new snapshot (what the next build compares against). */
  canonicalJson?: string;
  /** Leaves the values the config took from the environment out of a text about it (an error message). */
  scrub: (text: string) => string;
}

/** The compiled worker script: next to this file in dist/, or in dist/ when running from src/ (tests). */
function workerScript(): URL | undefined {
  const sibling = new URL("./build-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL("../../dist/reload/build-worker.js", import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/**
 * How long an unused build worker lives after a reload (reloads tend to
 * come in bursts). The start-up build's worker ends at once: nothing is in
 * flight then, and a gateway that never reloads should not hold a second
 * heap (~20 MB resident).
 */
const IDLE_MS = 10_000;

interface Pending {
  id: number;
  resolve: (outcome: BuildOutcome) => void;
  reject: (err: Error) => void;
  head?: Extract<BuildMessage, { type: "head" }>;
  routes: Route[];
  file: string;
}

/**
 * Builds snapshots for (re)loads. Parsing, schema and semantic checks run in
 * a worker thread; the main thread receives the config in chunks and
 * compiles it in slices, so requests in flight keep getting turns of the
 * event loop while a large config loads. Without the compiled worker script
 * (or with `inProcess`), the same steps run on the calling thread.
 */
export class SnapshotBuilder {
  private worker: Worker | null = null;
  private pending: Pending | null = null;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private finished = 0;
  private readonly script: URL | undefined;

  constructor(options: { inProcess?: boolean } = {}) {
    this.script = options.inProcess === true ? undefined : workerScript();
  }

  build(request: Omit<BuildRequest, "id">): Promise<BuildOutcome> {
    if (this.pending !== null) return Promise.reject(new Error("a build is already running"));
    const id = this.nextId++;
    const req: BuildRequest = { ...request, id };
    return new Promise<BuildOutcome>((resolve, reject) => {
      this.pending = { id, resolve, reject, routes: [], file: request.file };
      const worker = this.script === undefined ? null : this.ensureWorker();
      if (worker === null) {
        // Loaded here only: the parser and the schema validator stay out of the
        // main thread when the worker does the work.
        void import("./build-steps.js")
          .then(({ buildMessages }) => buildMessages(req))
          .then((messages) => {
            for (const m of messages) this.onMessage(m);
          })
          .catch((err: Error) => this.fail(err));
      } else worker.postMessage(req);
    });
  }

  private ensureWorker(): Worker {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.worker !== null) return this.worker;
    const worker = new Worker(this.script!);
    worker.unref();
    worker.on("message", (m: BuildMessage) => this.onMessage(m));
    worker.on("error", (err) => this.fail(err));
    worker.on("exit", (code) => {
      // A worker ended while idle (terminated) is no build's failure: a later build may already run on a new one.
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.pending !== null) this.fail(new Error(`the config build worker exited (${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private onMessage(m: BuildMessage): void {
    const p = this.pending;
    if (p === null || m.id !== p.id) return;
    if (m.type === "head") p.head = m;
    else if (m.type === "routes") p.routes.push(...m.routes);
    else if (m.type === "crash") this.fail(new Error(m.message));
    else void this.finish(p);
  }

  private async finish(p: Pending): Promise<void> {
    const head = p.head;
    try {
      if (head === undefined) throw new Error("the config build produced no result");
      const secrets = scrubList(head.secrets ?? []);
      const scrub = (text: string): string => scrubValues(text, secrets);
      if (!head.ok) {
        this.settle(() => p.resolve({ diagnostics: head.diagnostics, scrub }));
        return;
      }
      const config = { ...head.config, routes: p.routes } as GatewayConfig;
      const snapshot = await compileInSlices({
        config,
        canonical: head.canonical!,
        hash: head.hash!,
        file: p.file,
        routePositions: head.routePositions as Position[],
      });
      this.settle(() => p.resolve({ diagnostics: head.diagnostics, snapshot, summary: head.summary!, canonicalJson: head.canonical!, scrub }));
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private settle(fn: () => void): void {
    this.pending = null;
    this.scheduleIdleStop(++this.finished === 1 ? 0 : IDLE_MS);
    fn();
  }

  /** An idle worker is ended (it holds its own heap, ~12 MB); the next build starts a new one. */
  private scheduleIdleStop(afterMs: number): void {
    if (this.worker === null || this.idleTimer !== null) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const w = this.worker;
      this.worker = null;
      if (w !== null && this.pending === null) void w.terminate();
      else if (w !== null) this.worker = w;
    }, afterMs);
    this.idleTimer.unref();
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.scheduleIdleStop(++this.finished === 1 ? 0 : IDLE_MS);
    p.reject(err);
  }

  async close(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }
}
