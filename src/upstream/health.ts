import type { Dispatcher } from "undici";
import type { Clock } from "../deps.js";

export interface HealthSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
}

export interface Probed {
  readonly origin: string;
  readonly basePath: string;
  readonly dispatcher: Dispatcher;
  healthy: boolean;
}

/**
 * Active health checks: every target is probed with `GET <path>` every
 * `intervalMs` (±20% jitter, so replicas do not probe in step); 2xx/3xx is a
 * pass. `unhealthyThreshold` failures in a row mark it unhealthy,
 * `healthyThreshold` passes in a row healthy again. Targets start healthy.
 * `stop()` cancels every timer (the pool closes it).
 */
export class HealthChecker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly targets: readonly Probed[],
    private readonly settings: HealthSettings,
    private readonly random: () => number,
    private readonly onChange: (target: Probed, healthy: boolean) => void = () => undefined,
    private readonly clock?: Clock,
  ) {}

  start(): void {
    for (const t of this.targets) this.schedule(t, { passes: 0, failures: 0 });
  }

  private schedule(target: Probed, streak: { passes: number; failures: number }): void {
    if (this.stopped) return;
    const delay = this.settings.intervalMs * (0.8 + 0.4 * this.random());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.probe(target).then((ok) => {
        if (ok) {
          streak.passes++;
          streak.failures = 0;
          if (!target.healthy && streak.passes >= this.settings.healthyThreshold) this.set(target, true);
        } else {
          streak.failures++;
          streak.passes = 0;
          if (target.healthy && streak.failures >= this.settings.unhealthyThreshold) this.set(target, false);
        }
        this.schedule(target, streak);
      });
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private set(target: Probed, healthy: boolean): void {
    target.healthy = healthy;
    this.onChange(target, healthy);
  }

  private async probe(target: Probed): Promise<boolean> {
    try {
      const res = await target.dispatcher.request({
        origin: target.origin,
        path: target.basePath + this.settings.path,
        method: "GET",
        headersTimeout: this.settings.timeoutMs,
        bodyTimeout: this.settings.timeoutMs,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 400;
    } catch {
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    void this.clock;
  }
}
