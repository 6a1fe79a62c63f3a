import type { JsonObject } from "./compare.js";
import { diffConfigs, summarize, type Change, type PlanResult } from "./diff.js";
import { assessRisk } from "./risk.js";

export interface PlanOptions {
  /** Add the consequences in words to each change's notes (`plan`); `diff` keeps the structural notes only. */
  impact: boolean;
}

/** Diff and risk of two canonical configs, in the JSON shape of DESIGN.md 10. */
export function planConfigs(oldConfig: JsonObject, newConfig: JsonObject, options: PlanOptions): PlanResult {
  const entries = diffConfigs(oldConfig, newConfig);
  const impact = assessRisk(oldConfig, newConfig, entries);
  const changes: Change[] = entries.map((e, i) => ({
    ...e.change,
    notes: options.impact ? [...e.change.notes, ...impact[i]!] : e.change.notes,
  }));
  return { summary: summarize(changes), changes };
}
