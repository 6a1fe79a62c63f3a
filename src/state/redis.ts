import { Redis } from "ioredis";
import type { SharedResource } from "../lifecycle/registry.js";

export interface RedisSettings {
  url: string;
  timeoutMs: number;
}

/**
 * The Redis connection replicas share state through. Commands fail fast
 * while disconnected (no offline queue) and time out after `timeoutMs`, so
 * a request never waits on Redis longer than that; the client reconnects by
 * itself with a capped back-off.
 */
export class RedisConnection implements SharedResource {
  readonly client: Redis;

  constructor(settings: RedisSettings) {
    this.client = new Redis(settings.url, {
      commandTimeout: settings.timeoutMs,
      connectTimeout: Math.max(1000, settings.timeoutMs * 4),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      lazyConnect: false,
    });
    // Errors surface per command (onError decides); the connection event is only noise.
    this.client.on("error", () => undefined);
  }

  /** Resolves when connected, or after `timeoutMs` (the caller goes on; `onError` covers the gap). */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === "ready") return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off("ready", onReady);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once("ready", onReady);
    });
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  async destroy(): Promise<void> {
    this.client.disconnect();
  }
}
