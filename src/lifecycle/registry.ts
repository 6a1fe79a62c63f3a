import { createHash } from "node:crypto";

/** A resource that outlives snapshots: closed gracefully, or destroyed at once. */
export interface SharedResource {
  /** Stops taking work; resolves when in-flight work has finished. Idempotent. */
  close(): Promise<void>;
  /** Cuts everything now. Idempotent. */
  destroy(): Promise<void>;
}

/** One holder's share of a shared resource; `release()` gives it back, once (later calls are no-ops). */
export interface Lease<T extends SharedResource> {
  readonly resource: T;
  release(): Promise<void>;
}

interface Entry {
  resource: SharedResource;
  refs: number;
}


/** A stable key for a definition: equal definitions share one resource. */
export function definitionKey(kind: string, def: unknown): string {
  return `${kind}:${createHash("sha256").update(stableJson(def)).digest("hex")}`;
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
 * Resources shared across snapshots (upstream connection pools, JWKS
 * caches, Redis clients, the in-memory stores), counted by reference and
 * keyed by their definition: one whose definition did not change across a
 * reload is reused (connections, caches and health survive); one that no
 * holder uses any more is closed, and destroyed if it has not finished
 * closing within its grace.
 */
export class ResourceRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * A lease on the resource for `kind` + `def`, created on first use. When
   * the last lease is released the resource closes gracefully (its
   * in-flight work drains); if it has not closed `closeGraceMs` later it is
   * destroyed (0: wait for it), so one long stream cannot keep a removed
   * pool open.
   */
  acquire<T extends SharedResource>(kind: string, def: unknown, create: () => T, closeGraceMs = 0): Lease<T> {
    const key = definitionKey(kind, def);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { resource: create(), refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    const resource = entry.resource as T;
    let released: Promise<void> | null = null;
    return {
      resource,
      release: () => (released ??= this.drop(key, resource, closeGraceMs)),
    };
  }

  /** Drops one reference; the last one closes the resource, and destroys it after the grace. */
  private async drop(key: string, resource: SharedResource, closeGraceMs: number): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.resource !== resource) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.entries.delete(key);
    const closed = resource.close();
    if (closeGraceMs <= 0) return closed;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), closeGraceMs);
      timer.unref();
    });
    const outcome = await Promise.race([closed.then(() => "closed" as const), grace]);
    clearTimeout(timer);
    if (outcome === "late") await resource.destroy();
  }

  /** Resources alive now, optionally of one kind (tests, /admin). */
  count(kind?: string): number {
    if (kind === undefined) return this.entries.size;
    let n = 0;
    for (const key of this.entries.keys()) if (key.startsWith(`${kind}:`)) n++;
    return n;
  }

  /** Cuts every resource (end of shutdown). */
  async destroyAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.resource.destroy()));
  }
}
