import type { Worker } from "node:cluster";

/** One forked worker, as the primary sees it. */
export interface WorkerState {
  readonly slot: number;
  readonly worker: Worker;
  readonly pid: number;
  state: "starting" | "serving" | "stopping";
  /** Hash of the config it runs; null before it has started. */
  hash: string | null;
  /** The last hash it could not apply (not sent again). */
  failedHash: string | null;
  applying: boolean;
  servingSince: number;
  startError: string | null;
  started: { resolve(): void; reject(err: Error): void };
}

/** What `/ready` and `/admin/upstreams` list per worker. */
export interface WorkerView {
  worker: number;
  pid: number;
  state: WorkerState["state"];
  hash: string | null;
}

/** A worker just forked into `slot`: starting, on no config yet. */
export function workerState(slot: number, worker: Worker): WorkerState {
  const noop = (): void => undefined;
  return {
    slot,
    worker,
    pid: worker.process.pid ?? 0,
    state: "starting",
    hash: null,
    failedHash: null,
    applying: false,
    servingSince: 0,
    startError: null,
    started: { resolve: noop, reject: noop },
  };
}
