import { scrubList, scrubValues } from "../../config/provenance.js";
import type { PlanResult } from "../../plan/diff.js";

/** Shared by the text and markdown forms of `diff` and `plan`. */
export interface PlanView {
  /** `Plan` or `Diff`. */
  title: "Plan" | "Diff";
  /** Show risk and the consequences in words (plan). */
  showRisk: boolean;
  /** The old side (`--against`, or diff's first argument) and the new side, with their hashes. */
  from: { label: string; hash: string };
  to: { label: string; hash: string };
}

/** `Plan: 2 to add, 1 to change, 0 to remove; 1 high risk`. */
export function summaryLine(result: PlanResult, view: PlanView): string {
  const s = result.summary;
  const counts = `${view.title}: ${s.add} to add, ${s.change} to change, ${s.remove} to remove`;
  return view.showRisk ? `${counts}; ${s.highRisk} high risk` : counts;
}

export function noChangesLine(view: PlanView): string {
  return view.title === "Plan" ? `No changes: ${view.to.label} matches ${view.from.label}.` : `No differences between ${view.from.label} and ${view.to.label}.`;
}

function plainString(s: string): boolean {
  return s.length > 0 && /^[^\s,{}[\]"'`|#]+$/.test(s) && !/^(true|false|null|-?[0-9.]+)$/.test(s);
}

/** A value in YAML flow style, on one line, cut at `max` characters. */
export function formatValue(value: unknown, max = 120): string {
  const text = flow(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function flow(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return plainString(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${plainString(k) ? k : JSON.stringify(k)}: ${flow(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** `(+GET, −PUT)` for two lists of scalars, or "". */
export function listDelta(before: unknown, after: unknown): string {
  if (!Array.isArray(before) || !Array.isArray(after)) return "";
  if ([...before, ...after].some((x) => x !== null && typeof x === "object")) return "";
  const has = (list: unknown[], x: unknown): boolean => list.some((y) => y === x);
  const parts = [...after.filter((x) => !has(before, x)).map((x) => `+${flow(x)}`), ...before.filter((x) => !has(after, x)).map((x) => `−${flow(x)}`)];
  return parts.length === 0 ? "(order)" : `(${parts.join(", ")})`;
}

/** `sha256:1a2b3c4d5e6f`: a hash short enough to read. */
export function shortHash(hash: string): string {
  return hash.length > 19 ? hash.slice(0, 19) : hash;
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * A last guard on everything `diff` and `plan` print: the value of every
 * variable the configs reference, every default they write (`${VAR:-x}`),
 * and the admin token are replaced by their `<redacted:…>` form, raw and
 * JSON-escaped, wherever they would appear (findings of an invalid config
 * included). The canonical form already redacts them where they sit.
 */
export function secretScrubber(env: Readonly<Record<string, string | undefined>>, texts: readonly string[], extra: readonly (string | undefined)[]): (text: string) => string {
  const secrets = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(REFERENCE)) {
      const value = env[m[1]!];
      if (value !== undefined) secrets.add(value);
      if (m[2] !== undefined) secrets.add(m[2]);
    }
  }
  for (const value of extra) if (value !== undefined) secrets.add(value);
  const list = scrubList(secrets);
  return (text) => scrubValues(text, list);
}
