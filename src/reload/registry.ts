import { createHash } from "node:crypto";

/** A resource that outlives snapshots: closed gracefully, or destroyed at once. */
export interface SharedResource {
  /** Stops taking work; resolves when in-flight work has finished. Idempotent. */
  close(): Promise<void>;
  /** Cuts everything now. Idempotent. */
  destroy(): Promise<void>;
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
 * caches, OIDC discovery), counted by reference and keyed by their
 * definition: one whose definition did not change across a reload is reused
 * (connections, caches and health survive); one that no snapshot uses any
 * more is closed after its in-flight work finishes.
 */
export class ResourceRegistry {
  private readonly entries = new Map<string, Entry>();

  /** The resource for `kind` + `def`, created on first use. */
  acquire<T extends SharedResource>(kind: string, def: unknown, create: () => T): T {
    const key = definitionKey(kind, def);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { resource: create(), refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    return entry.resource as T;
  }

  /** Drops one reference; the last one closes the resource (gracefully). */
  async release(kind: string, def: unknown, resource: SharedResource): Promise<void> {
    const key = definitionKey(kind, def);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.resource !== resource) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.entries.delete(key);
    await resource.close();
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
