import type { Snapshot } from "../compile/snapshot.js";
import type { CaseResult } from "./run.js";

export interface CoverageItem {
  covered: number;
  total: number;
  /** 0–100; 100 when there is nothing to cover. */
  percent: number;
  /** Names not covered, in file order. */
  uncovered: string[];
}

export interface Coverage {
  /** Routes some case's request was routed to (whatever the auth decision). */
  routes: CoverageItem;
  /**
   * Rate-limit policies that apply to some case the gateway forwards
   * (status 200): a request rejected by auth never reaches the limits.
   */
  policies: CoverageItem;
}

function item(all: readonly string[], hit: ReadonlySet<string>): CoverageItem {
  const uncovered = all.filter((n) => !hit.has(n));
  const covered = all.length - uncovered.length;
  return { covered, total: all.length, percent: all.length === 0 ? 100 : (covered / all.length) * 100, uncovered };
}

export function coverageOf(snapshot: Snapshot, results: readonly CaseResult[]): Coverage {
  const routes = new Set<string>();
  const policies = new Set<string>();
  for (const r of results) {
    if (r.decision.route !== null) routes.add(r.decision.route.name);
    if (r.decision.status === 200) for (const l of r.decision.rateLimits) policies.add(l.policy);
  }
  return {
    routes: item(
      snapshot.routes.map((r) => r.name),
      routes,
    ),
    policies: item([...snapshot.policies.keys()], policies),
  };
}

/** `66.7%`: one decimal, never rounded up to a pass (99.96% shows as 99.9%, not 100.0%). */
export function formatPercent(percent: number): string {
  return `${(Math.floor(percent * 10) / 10).toFixed(1)}%`;
}

/** Parses `--fail-under`: a number 0–100, `%` allowed; undefined when malformed. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n >= 0 && n <= 100 ? n : undefined;
}
