import { compileGlob } from "../compile/router/glob.js";
import { parseDuration } from "../config/duration.js";
import { isPlainObject, type JsonObject } from "./compare.js";

/** Rates, budgets and prices of a canonical config, and how plan words them. */

/** A limit raised by more than this factor (or removed) is high risk. */
export const RAISE_FACTOR = 10;

export interface Rate {
  policy: string;
  limit: number;
  windowMs: number;
  cost: string;
  enforced: boolean;
}

/** 100 → `100`, 2500 → `2.5k`, 400000 → `400k`, 1500000 → `1.5M`. */
export function compact(n: number): string {
  const fmt = (v: number): string => String(Number(v.toFixed(v < 10 ? 2 : 1)));
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${fmt(n / 1e9)}B`;
  if (abs >= 1e6) return `${fmt(n / 1e6)}M`;
  if (abs >= 1e3) return `${fmt(n / 1e3)}k`;
  return fmt(n);
}

/** A factor: `3.1`, `0.25`, `20`, `1.5k`. */
export function factor(r: number): string {
  return r >= 10 ? compact(r) : String(Number(r.toPrecision(2)));
}

const WINDOWS: [number, string][] = [
  [1000, "second"],
  [60_000, "minute"],
  [3_600_000, "hour"],
  [86_400_000, "day"],
];

function windowWord(ms: number): string {
  return WINDOWS.find(([w]) => w === ms)?.[1] ?? `${ms / 1000}s`;
}

export function rateOf(policy: JsonObject | undefined): Rate | undefined {
  if (policy === undefined || typeof policy.limit !== "number") return undefined;
  const windowMs = typeof policy.window === "string" ? parseDuration(policy.window) : undefined;
  if (windowMs === undefined || windowMs <= 0) return undefined;
  return { policy: String(policy.name), limit: policy.limit, windowMs, cost: String(policy.cost ?? "requests"), enforced: policy.mode !== "shadow" };
}

function perMs(r: Rate): number {
  return r.limit / r.windowMs;
}

/** `new / old` as a rate factor. */
export function rateFactor(before: Rate, after: Rate): number {
  return perMs(after) / perMs(before);
}

/** `tokens per minute 100k → 10k (10× lower)`, the new limit in the old window. */
export function describeRateChange(before: Rate, after: Rate): string {
  const scaled = perMs(after) * before.windowMs;
  const f = rateFactor(before, after);
  const extras = [
    after.windowMs === before.windowMs ? "" : `${compact(after.limit)} per ${windowWord(after.windowMs)}`,
    f > 1 ? `${factor(f)}× higher` : f < 1 ? `${factor(1 / f)}× lower` : "",
  ].filter((x) => x !== "");
  return `${before.cost} per ${windowWord(before.windowMs)} ${compact(before.limit)} → ${compact(scaled)}${extras.length > 0 ? ` (${extras.join(", ")})` : ""}`;
}

export function describeRate(r: Rate): string {
  return `${r.cost} per ${windowWord(r.windowMs)} ${compact(r.limit)}`;
}

/** The tightest enforced rate per cost unit (`requests`, `tokens`) among the named policies. */
export function effectiveRates(policies: ReadonlyMap<string, JsonObject>, names: unknown): Map<string, Rate> {
  const out = new Map<string, Rate>();
  if (!Array.isArray(names)) return out;
  for (const name of names) {
    const r = rateOf(policies.get(String(name)));
    if (r === undefined || !r.enforced) continue;
    const cur = out.get(r.cost);
    if (cur === undefined || perMs(r) < perMs(cur)) out.set(r.cost, r);
  }
  return out;
}

export interface LimitDelta {
  /** A cost unit lost its last limit, or its limit rose more than RAISE_FACTOR×. */
  high: boolean;
  notes: string[];
}

/** How the limits on `subject` (`consumer acme`) move between two sets of policies. */
export function compareRates(subject: string, before: Map<string, Rate>, after: Map<string, Rate>): LimitDelta {
  const delta: LimitDelta = { high: false, notes: [] };
  for (const cost of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(cost);
    const b = after.get(cost);
    if (a !== undefined && b === undefined) {
      delta.high = true;
      delta.notes.push(`${subject}: no ${cost} limit any more (was ${describeRate(a)})`);
    } else if (a === undefined && b !== undefined) {
      delta.notes.push(`${subject}: now limited to ${describeRate(b)}`);
    } else if (a !== undefined && b !== undefined && perMs(a) !== perMs(b)) {
      const f = rateFactor(a, b);
      if (f > RAISE_FACTOR) delta.high = true;
      delta.notes.push(`${subject}: ${describeRateChange(a, b)}`);
    }
  }
  return delta;
}

const PERIOD_DAYS: Record<string, number> = { day: 1, month: 30 };

/** A consumer budget per day, for comparing `day` and `month` budgets. */
function budgetPerDay(budget: JsonObject): number {
  return Number(budget.usd) / (PERIOD_DAYS[String(budget.period ?? "month")] ?? 30);
}

function describeBudget(budget: JsonObject): string {
  return `$${compact(Number(budget.usd))}/${String(budget.period ?? "month")}`;
}

export function compareBudgets(subject: string, before: unknown, after: unknown): LimitDelta {
  const a = isPlainObject(before) ? before : undefined;
  const b = isPlainObject(after) ? after : undefined;
  if (a === undefined && b === undefined) return { high: false, notes: [] };
  if (a !== undefined && b === undefined) return { high: true, notes: [`${subject}: budget removed (was ${describeBudget(a)})`] };
  if (a === undefined) return { high: false, notes: [`${subject}: new budget ${describeBudget(b!)}`] };
  const f = budgetPerDay(b!) / budgetPerDay(a);
  if (describeBudget(a) === describeBudget(b!)) return { high: false, notes: [] };
  const trend = f > 1 ? ` (${factor(f)}× higher)` : f < 1 ? ` (${factor(1 / f)}× lower)` : "";
  return { high: f > RAISE_FACTOR, notes: [`${subject}: budget ${describeBudget(a)} → ${describeBudget(b!)}${trend}`] };
}

/** USD per 1M tokens (input + output) of `model`: the pricing entry with the longest literal prefix. */
function priceOf(pricing: unknown, model: string): number | undefined {
  if (!Array.isArray(pricing)) return undefined;
  let best: { prefix: number; price: number } | undefined;
  for (const p of pricing) {
    if (!isPlainObject(p) || typeof p.model !== "string") continue;
    const g = compileGlob(p.model);
    if (!(g.test(model) || p.model === model)) continue;
    if (best === undefined || g.literalPrefix.length > best.prefix) best = { prefix: g.literalPrefix.length, price: Number(p.input) + Number(p.output) };
  }
  return best?.price;
}

/**
 * The price of sending a route's traffic to an upstream: the mean price of
 * the upstream's models the route's model globs take (all its models when
 * none does; the route's globs themselves when the upstream lists none).
 */
export function upstreamPrice(config: JsonObject, upstreams: ReadonlyMap<string, JsonObject>, upstream: string, routeModel: unknown): number | undefined {
  const u = upstreams.get(upstream);
  if (u === undefined) return undefined;
  const globs = routeModel === undefined ? undefined : (Array.isArray(routeModel) ? routeModel : [routeModel]).map(String);
  const listed = Array.isArray(u.models) ? u.models.map(String) : [];
  const taken = globs === undefined ? listed : listed.filter((m) => globs.some((g) => compileGlob(g).test(m)));
  const models = taken.length > 0 ? taken : listed.length > 0 ? listed : (globs ?? []);
  const prices = models.map((m) => priceOf(config.pricing, m)).filter((p): p is number => p !== undefined && Number.isFinite(p));
  if (prices.length === 0) return undefined;
  return prices.reduce((s, p) => s + p, 0) / prices.length;
}

/** `+3.1× $/token`, `0.2× $/token`, `same $/token`, or "" when a price is unknown. */
export function priceRatio(base: number | undefined, other: number | undefined): string {
  if (base === undefined || other === undefined) return "";
  if (base === 0) return other === 0 ? "same $/token" : "priced where the other is free";
  const r = other / base;
  if (r === 0) return "no token cost";
  if (Math.abs(r - 1) < 0.05) return "same $/token";
  return r > 1 ? `+${factor(r)}× $/token` : `${factor(r)}× $/token`;
}
