/**
 * A short account of what a config change touches, by object: for logs and
 * reload history. Each list holds at most LIMIT names; the counts are exact.
 */
export interface ChangeSummary {
  added: string[];
  removed: string[];
  changed: string[];
  counts: { added: number; removed: number; changed: number };
}

const LIMIT = 50;

const NAMED: Record<string, string> = {
  routes: "route",
  upstreams: "upstream",
  auth: "auth",
  consumers: "consumer",
  rateLimits: "rateLimit",
};

function byKey(list: unknown, key: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const k = (item as Record<string, unknown> | null)?.[key];
    if (typeof k === "string") out.set(k, JSON.stringify(item));
  }
  return out;
}

/** Compares two canonical configs: named objects by name, pricing by model, sections as wholes. */
export function summarizeChanges(before: Record<string, unknown> | null, after: Record<string, unknown>): ChangeSummary {
  const summary = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  const prev = before ?? {};
  const keys = new Set([...Object.keys(prev), ...Object.keys(after)]);
  for (const key of [...keys].sort()) {
    const kind = NAMED[key] ?? (key === "pricing" ? "pricing" : undefined);
    if (kind !== undefined) {
      const a = byKey(prev[key], key === "pricing" ? "model" : "name");
      const b = byKey(after[key], key === "pricing" ? "model" : "name");
      for (const [name, json] of b) {
        const old = a.get(name);
        if (old === undefined) summary.added.push(`${kind}:${name}`);
        else if (old !== json) summary.changed.push(`${kind}:${name}`);
      }
      for (const name of a.keys()) if (!b.has(name)) summary.removed.push(`${kind}:${name}`);
      continue;
    }
    const a = JSON.stringify(prev[key]);
    const b = JSON.stringify(after[key]);
    if (a === b) continue;
    if (prev[key] === undefined) summary.added.push(key);
    else if (after[key] === undefined) summary.removed.push(key);
    else summary.changed.push(key);
  }
  return {
    added: summary.added.slice(0, LIMIT),
    removed: summary.removed.slice(0, LIMIT),
    changed: summary.changed.slice(0, LIMIT),
    counts: { added: summary.added.length, removed: summary.removed.length, changed: summary.changed.length },
  };
}
