import { redact } from "./redact.js";

/** Values shorter than this are not searched for in free text: too common to be told from other words. */
const MIN_SCRUB_LENGTH = 4;

/** Values to keep out of free text, longest first (a value that contains another is replaced whole). */
export type ScrubList = readonly { value: string; escaped: string; replacement: string }[];

/**
 * What a config took from the environment: every string a `${VAR}` or
 * `${VAR:-default}` produced (the set itself, used to keep them out of
 * free text such as findings and log lines) and the JSON pointers of the
 * config values that hold them, wholly or partly (`pointers`, used to
 * redact the canonical form exactly). Filled by `interpolate`.
 */
export class Provenance extends Set<string> {
  readonly pointers = new Set<string>();
  private list: ScrubList | null = null;

  override add(value: string): this {
    this.list = null;
    return super.add(value);
  }

  override clear(): void {
    this.list = null;
    this.pointers.clear();
    super.clear();
  }

  /** Whether the value at `pointer`, or any value inside it, came from the environment. */
  covers(pointer: string): boolean {
    if (this.pointers.has(pointer)) return true;
    const prefix = pointer + "/";
    for (const p of this.pointers) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** `text` with every environment value in it (as is, or JSON-escaped) replaced by its `<redacted:…>` form. */
  scrub(text: string): string {
    return scrubValues(text, (this.list ??= scrubList(this)));
  }
}

export function scrubList(values: Iterable<string>, minLength = MIN_SCRUB_LENGTH): ScrubList {
  return [...new Set(values)]
    .filter((v) => v.length >= minLength)
    .sort((a, b) => b.length - a.length)
    .map((value) => ({ value, escaped: JSON.stringify(value).slice(1, -1), replacement: redact(value) }));
}

export function scrubValues(text: string, list: ScrubList): string {
  let out = text;
  for (const { value, escaped, replacement } of list) {
    if (out.includes(value)) out = out.split(value).join(replacement);
    if (escaped !== value && out.includes(escaped)) out = out.split(escaped).join(replacement);
  }
  return out;
}
