import type { Redis } from "ioredis";
import type { Clock } from "../deps.js";
import type { SharedResource } from "../lifecycle/registry.js";

/** Cached answers: OpenAI-shaped JSON bodies (a chat.completion or an embeddings list). */
export interface ResponseCache {
  get(key: string): Promise<Record<string, unknown> | null>;
  set(key: string, value: Record<string, unknown>, ttlMs: number): Promise<void>;
}

interface Entry {
  text: string;
  expiresAt: number;
}

/** An LRU in process memory, bounded by the bytes it holds (`state.memory.cacheMaxBytes`). */
export class MemoryCache implements ResponseCache, SharedResource {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxBytes: number,
  ) {}

  async get(key: string): Promise<Record<string, unknown> | null> {
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= this.clock.now()) {
      this.remove(key, e);
      return null;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return JSON.parse(e.text) as Record<string, unknown>;
  }

  async set(key: string, value: Record<string, unknown>, ttlMs: number): Promise<void> {
    const text = JSON.stringify(value);
    const size = text.length * 2;
    if (size > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    this.entries.set(key, { text, expiresAt: this.clock.now() + ttlMs });
    this.bytes += size;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k, e);
    }
  }

  private remove(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.text.length * 2;
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {}
  async destroy(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** Cached answers in Redis (`<keyPrefix>cache:<hash>`, expiring with the route's ttl), shared by replicas. */
export class RedisCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async get(key: string): Promise<Record<string, unknown> | null> {
    const text = await this.redis.get(`${this.keyPrefix}cache:${key}`);
    return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  }

  async set(key: string, value: Record<string, unknown>, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.keyPrefix}cache:${key}`, JSON.stringify(value), "PX", Math.max(1, Math.round(ttlMs)));
  }
}
