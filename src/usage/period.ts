export type Period = "day" | "month";

/** Start of the calendar period (UTC) that `now` falls in, ms since the epoch. */
export function periodStart(period: Period, now: number): number {
  const d = new Date(now);
  return period === "day" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the next period, ms. */
export function periodEnd(period: Period, now: number): number {
  const d = new Date(periodStart(period, now));
  return period === "day" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
