import type { PluginPhase } from "../pipeline/types.js";
import { ACCESS_PLUGINS, AI_ONLY_PLUGINS } from "../config/kinds.js";
import type { PluginEntry } from "../config/types.js";

/**
 * Where and in which order a route's plugins run (DESIGN.md 11), worked out
 * from the config alone: the data plane composes its chain from it, and
 * `aigw routes` and `aigw explain` print it.
 *
 * - Two phases. `access` plugins (`cors`, `ip-allow`, `ip-deny`) run right
 *   after route match, before auth: a CORS preflight carries no
 *   credentials, and a refused address costs no token check. Every other
 *   plugin (custom ones included) runs in the `request` phase: after auth,
 *   before budgets, rate limits, the cache and the upstream, so it knows
 *   the consumer, and what it changes (a redacted prompt, a clamped
 *   `max_tokens`) is what is limited, cached and sent.
 * - In each phase, gateway plugins before the route's; then lower
 *   `priority` first; then file order.
 * - Plugins of one list and one priority marked `parallel: true` form one
 *   step, run concurrently, at the place of the first of them; the next
 *   step starts once all of them are done.
 * - AI-only plugins (`prompt-guard`, `response-guard`, `max-tokens`) are
 *   left out of routes that are not AI routes.
 */
export type { PluginPhase };

export interface PlannedPlugin {
  readonly name: string;
  readonly source: "gateway" | "route";
  /** Index in its list (`gateway.plugins` or the route's `plugins`). */
  readonly index: number;
  readonly priority: number;
  readonly parallel: boolean;
  readonly phase: PluginPhase;
  readonly entry: PluginEntry;
}

/** Plugins that run one after another (one member), or concurrently. */
export interface PluginStep {
  readonly phase: PluginPhase;
  readonly concurrent: boolean;
  readonly plugins: readonly PlannedPlugin[];
}

export function phaseOf(entry: PluginEntry): PluginPhase {
  return entry.module === undefined && ACCESS_PLUGINS.has(entry.name) ? "access" : "request";
}

/** Whether an entry runs on a route of this kind. */
export function appliesTo(entry: PluginEntry, ai: boolean): boolean {
  return ai || entry.module !== undefined || !AI_ONLY_PLUGINS.has(entry.name);
}

function stepsOf(list: readonly PlannedPlugin[]): PluginStep[] {
  const byPriority = new Map<number, PlannedPlugin[]>();
  for (const p of [...list].sort((a, b) => a.priority - b.priority || a.index - b.index)) {
    const bucket = byPriority.get(p.priority);
    if (bucket === undefined) byPriority.set(p.priority, [p]);
    else bucket.push(p);
  }
  const steps: PluginStep[] = [];
  for (const bucket of byPriority.values()) {
    const parallel = bucket.filter((p) => p.parallel);
    for (const p of bucket) {
      if (!p.parallel) steps.push({ phase: p.phase, concurrent: false, plugins: [p] });
      else if (p === parallel[0]) steps.push({ phase: p.phase, concurrent: parallel.length > 1, plugins: parallel });
    }
  }
  return steps;
}

/** The steps of a route's plugins, in run order: access phase first, then request. */
export function planPlugins(gateway: readonly PluginEntry[] | undefined, route: readonly PluginEntry[] | undefined, ai: boolean): PluginStep[] {
  const planned = (entries: readonly PluginEntry[] | undefined, source: "gateway" | "route"): PlannedPlugin[] =>
    (entries ?? []).flatMap((entry, index) =>
      appliesTo(entry, ai) ? [{ name: entry.name, source, index, priority: entry.priority, parallel: entry.parallel, phase: phaseOf(entry), entry }] : [],
    );
  const g = planned(gateway, "gateway");
  const r = planned(route, "route");
  const out: PluginStep[] = [];
  for (const phase of ["access", "request"] as const) {
    out.push(...stepsOf(g.filter((p) => p.phase === phase)), ...stepsOf(r.filter((p) => p.phase === phase)));
  }
  return out;
}

/** One plugin as `aigw routes --format json` and `aigw explain --format json` print it. */
export interface PluginRow {
  /** 1-based; plugins that run concurrently share a step. */
  step: number;
  name: string;
  source: "gateway" | "route";
  phase: PluginPhase;
  priority: number;
  parallel: boolean;
  module?: string;
}

export function pluginRows(steps: readonly PluginStep[]): PluginRow[] {
  return steps.flatMap((s, i) =>
    s.plugins.map((p) => {
      const row: PluginRow = { step: i + 1, name: p.name, source: p.source, phase: p.phase, priority: p.priority, parallel: p.parallel };
      if (p.entry.module !== undefined) row.module = p.entry.module;
      return row;
    }),
  );
}

/** `cors → request-headers → [tag-a ∥ tag-b]`: the order in one line of text. */
export function describeSteps(steps: readonly PluginStep[]): string {
  return steps.map((s) => (s.concurrent ? `[${s.plugins.map((p) => p.name).join(" ∥ ")}]` : s.plugins[0]!.name)).join(" → ");
}
