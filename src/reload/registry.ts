import { createHash } from "node:crypto";
import type { Upstream } from "../config/types.js";
import { UpstreamPool } from "../upstream/pool.js";

interface Entry {
  pool: UpstreamPool;
  refs: number;
}

/** A stable key for an upstream definition: equal definitions share one pool. */
export function definitionKey(def: Upstream): string {
  return createHash("sha256").update(stableJson(def)).digest("hex");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Connection pools, shared across snapshots and counted by reference: a pool
 * whose definition did not change across a reload is reused (its connections
 * and state survive); one that no snapshot uses any more is closed, after its
 * in-flight requests finish.
 */
export class ResourceRegistry {
  private readonly pools = new Map<string, Entry>();

  acquirePool(def: Upstream): UpstreamPool {
    const key = definitionKey(def);
    let entry = this.pools.get(key);
    if (entry === undefined) {
      entry = { pool: new UpstreamPool(def), refs: 0 };
      this.pools.set(key, entry);
    }
    entry.refs++;
    return entry.pool;
  }

  /** Drops one reference; the last one closes the pool (gracefully). */
  async releasePool(pool: UpstreamPool): Promise<void> {
    const key = definitionKey(pool.definition);
    const entry = this.pools.get(key);
    if (entry === undefined || entry.pool !== pool) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.pools.delete(key);
    await pool.close();
  }

  /** Pools alive now (for tests and /admin). */
  get size(): number {
    return this.pools.size;
  }

  /** Cuts every pool (shutdown after the grace period). */
  async destroyAll(): Promise<void> {
    const entries = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(entries.map((e) => e.pool.destroy()));
  }
}
