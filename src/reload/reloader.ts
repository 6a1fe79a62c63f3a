import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../deps.js";
import type { Env } from "../config/interpolate.js";
import { toFinding, type Finding } from "../config/diagnostic.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { ChangeSummary } from "../plan/summary.js";
import type { GatewayConfig } from "../config/types.js";
import { parseSource } from "../config/load.js";
import { createReporter } from "../config/source.js";
import { ConfigRefused, type Refusal } from "./admission.js";
import type { SnapshotBuilder } from "./builder.js";

/** What the reloader loads into: the gateway, seen through what reloading needs. */
export interface ReloadTarget {
  currentSnapshot(): Snapshot | null;
  /** `context`: what triggered the reload and the exact text the snapshot was built from (a cluster primary passes it on to its workers). */
  apply(snapshot: Snapshot, context?: { trigger: ReloadTrigger; text: string }): Promise<void>;
  countReload(result: "success" | "failure"): void;
}

export type ReloadTrigger = "startup" | "file" | "signal" | "admin";

/** One entry of the reload history (GET /admin/reloads). */
export interface ReloadRecord {
  time: string;
  trigger: ReloadTrigger;
  /** `unchanged`: the file (or its canonical form) is the one already running. */
  result: "success" | "failure" | "unchanged";
  hash: string | null;
  previousHash: string | null;
  durationMs: number;
  summary?: ChangeSummary;
  findings: Finding[];
  error?: string;
}

export interface ReloaderOptions {
  file: string;
  baseDir: string;
  env: Env;
  readFile: (file: string) => Promise<string>;
  target: ReloadTarget;
  builder: SnapshotBuilder;
  logger: Logger;
  clock: Clock;
  historySize?: number;
  /** Folders outside `baseDir` that plugin modules may be loaded from (`--allow-plugin-path`). */
  allowPluginPaths?: readonly string[];
}

interface Queued {
  trigger: ReloadTrigger;
  force: boolean;
  waiters: ((r: ReloadRecord) => void)[];
}

/**
 * Loads and reloads the config: one at a time; requests that arrive while
 * one runs collapse into a single follow-up; the same content is a no-op
 * unless forced. Any failure keeps the running snapshot; a success swaps
 * one reference in the gateway.
 */
export class Reloader {
  private running: Promise<ReloadRecord> | null = null;
  private queued: Queued | null = null;
  private textHash: string | null = null;
  private canonicalJson: string | null = null;
  private readonly records: ReloadRecord[] = [];
  private readonly historySize: number;

  constructor(private readonly options: ReloaderOptions) {
    this.historySize = options.historySize ?? 20;
  }

  /** Newest first. */
  history(): readonly ReloadRecord[] {
    return [...this.records].reverse();
  }

  reload(trigger: ReloadTrigger, options: { force?: boolean } = {}): Promise<ReloadRecord> {
    const force = options.force ?? false;
    if (this.running === null) {
      this.running = this.run(trigger, force).finally(() => this.next());
      return this.running;
    }
    if (this.queued === null) this.queued = { trigger, force, waiters: [] };
    else {
      this.queued.trigger = trigger;
      this.queued.force ||= force;
    }
    const queued = this.queued;
    return new Promise((resolve) => queued.waiters.push(resolve));
  }

  private next(): void {
    this.running = null;
    const q = this.queued;
    if (q === null) return;
    this.queued = null;
    this.running = this.run(q.trigger, q.force).finally(() => this.next());
    void this.running.then((r) => {
      for (const w of q.waiters) w(r);
    });
  }

  private async run(trigger: ReloadTrigger, force: boolean): Promise<ReloadRecord> {
    const { logger, target, clock } = this.options;
    const started = clock.monotonic();
    const current = target.currentSnapshot();
    const previousHash = current?.hash ?? null;
    const record = (r: Omit<ReloadRecord, "time" | "trigger" | "durationMs" | "previousHash">): ReloadRecord => {
      const full: ReloadRecord = { time: new Date(clock.now()).toISOString(), trigger, previousHash, durationMs: Math.round(clock.monotonic() - started), ...r };
      this.records.push(full);
      if (this.records.length > this.historySize) this.records.shift();
      return full;
    };

    let text: string;
    try {
      text = trigger === "file" ? await this.readSettled() : await this.options.readFile(this.options.file);
    } catch (err) {
      target.countReload("failure");
      const message = `cannot read ${this.options.file}: ${(err as Error).message}`;
      logger.error({ trigger, file: this.options.file }, `config reload failed: ${message}; the running config stays`);
      return record({ result: "failure", hash: null, findings: [], error: message });
    }
    const textHash = createHash("sha256").update(text).digest("hex");
    if (!force && textHash === this.textHash) return record({ result: "unchanged", hash: previousHash, findings: [] });

    let outcome;
    try {
      outcome = await this.options.builder.build({
        text,
        file: this.options.file,
        mode: "serve",
        env: this.options.env,
        baseDir: this.options.baseDir,
        previousCanonical: this.canonicalJson,
        allowPluginPaths: this.options.allowPluginPaths ?? [],
      });
    } catch (err) {
      target.countReload("failure");
      logger.error({ trigger, err }, "config reload failed inside the gateway; the running config stays");
      return record({ result: "failure", hash: null, findings: [], error: "internal error while building the config" });
    }
    const findings = outcome.diagnostics.map(toFinding);
    if (outcome.snapshot === undefined) {
      target.countReload("failure");
      for (const f of findings) logger.error({ trigger, finding: f }, `${f.file}:${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}`);
      logger.error({ trigger, errors: findings.filter((f) => f.severity === "error").length }, "config reload failed; the running config stays");
      return record({ result: "failure", hash: null, findings });
    }
    this.textHash = textHash;
    const snapshot = outcome.snapshot;
    if (!force && snapshot.hash === previousHash) {
      return record({ result: "unchanged", hash: snapshot.hash, findings });
    }
    try {
      await target.apply(snapshot, { trigger, text });
    } catch (err) {
      // E.g. a plugin module that fails to load or a plugin whose create() throws: the running config stays.
      this.textHash = null;
      target.countReload("failure");
      if (ConfigRefused.isRefusal(err)) {
        const f = refusalFinding(text, this.options.file, err.refusal);
        logger.error({ trigger, finding: f }, `${f.file}:${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}`);
        logger.error({ trigger }, "config reload refused: the new config cannot run next to the listeners as they are bound; the running config stays");
        return record({ result: "failure", hash: null, findings: [...findings, f], error: f.message });
      }
      // A plugin's or a connection's error may quote the config: what came from the environment is left out.
      const message = outcome.scrub((err as Error).message);
      const stack = typeof (err as Error).stack === "string" ? outcome.scrub((err as Error).stack!) : undefined;
      logger.error({ trigger, err: { type: (err as Error).name, message, stack } }, `config reload failed: the new config could not be started (${message}); the running config stays`);
      return record({ result: "failure", hash: null, findings, error: message });
    }
    this.canonicalJson = outcome.canonicalJson ?? null;
    target.countReload("success");
    this.warnAboutRestartOnlySettings(snapshot.config.server, current?.config.server, current !== null);
    for (const f of findings) logger.warn({ trigger, finding: f }, `${f.file}:${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}`);
    const done = record({ result: "success", hash: snapshot.hash, findings, ...(outcome.summary === undefined ? {} : { summary: outcome.summary }) });
    logger.info({ trigger, hash: snapshot.hash, previousHash, durationMs: done.durationMs, summary: outcome.summary }, trigger === "startup" ? "config loaded" : "config reloaded");
    return done;
  }

  /**
   * Reads the file until two reads 25 ms apart agree (at most 10 tries), so
   * a reload triggered in the middle of an in-place write sees the whole file.
   */
  private async readSettled(): Promise<string> {
    let text = await this.options.readFile(this.options.file);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const again = await this.options.readFile(this.options.file);
      if (again === text) return text;
      text = again;
    }
    return text;
  }

  /** Listeners are bound once, at start: a reload that changes how says so (the values are not logged: they may come from the environment). */
  private warnAboutRestartOnlySettings(next: GatewayConfig["server"], current: GatewayConfig["server"] | undefined, hadConfig: boolean): void {
    if (!hadConfig || current === undefined) return;
    const changed = restartOnlyChanges(next, current);
    if (changed.length === 0) return;
    this.options.logger.warn({ changed }, `${changed.join(", ")} changed: listeners keep their settings until restart; the change applies at the next restart`);
  }
}

/** `server.listen`, `server.admin`, `server.tls`, `server.limits.headersTimeoutMs`: the settings bound into the listeners. */
export function restartOnlyChanges(next: GatewayConfig["server"], current: GatewayConfig["server"]): string[] {
  const fields: [string, (s: GatewayConfig["server"]) => unknown][] = [
    ["server.listen", (s) => s.listen],
    ["server.admin", (s) => s.admin],
    ["server.tls", (s) => s.tls],
    ["server.limits.headersTimeoutMs", (s) => s.limits.headersTimeoutMs],
  ];
  return fields.filter(([, get]) => JSON.stringify(get(next)) !== JSON.stringify(get(current))).map(([name]) => name);
}

/** A refusal as a finding, positioned in the text that was refused. */
function refusalFinding(text: string, file: string, refusal: Refusal): Finding {
  const parsed = parseSource(text, file).value;
  if (parsed === undefined) return { file, line: 1, column: 1, rule: refusal.rule, severity: "error", message: refusal.message, hint: refusal.hint };
  const reporter = createReporter(parsed);
  reporter.report("error", refusal.rule, refusal.path, refusal.message, { hint: refusal.hint });
  return toFinding(reporter.diagnostics[0]!);
}
