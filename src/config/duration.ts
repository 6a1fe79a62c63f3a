/** Durations: `500ms`, `10s`, `1m`, `1h`, `1d`, and combinations such as `1h30m`. */

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof unitMs;
const part = /([0-9]+)(ms|s|m|h|d)/y;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0) return undefined;
  part.lastIndex = 0;
  let total = 0;
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * unitMs[m[2] as Unit];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest exact spelling of `ms`: 60000 → `1m`, 90000 → `1m30s`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = unitMs[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
