/**
 * Reports each match in order to `take`, which answers true to go on after
 * it, false to stop, or null when the candidate failed its check (then the
 * scan goes on one character after its start).
 */
export type Scanner = (text: string, take: (start: number, end: number) => boolean | null) => void;

/** Where the match of a sticky regex at `at` ends, or null. */
export function matchEnd(re: RegExp, text: string, at: number): number | null {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? null : m.index + m[0].length;
}

/** Every match of a global regex over the whole text: for regexes whose cost per start is bounded, or that start only where a run of their characters starts. */
export function wholeText(source: string, flags = ""): () => Scanner {
  return () => {
    const re = new RegExp(source, "g" + flags);
    return (text, take) => {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const r = take(m.index, m.index + m[0].length);
        if (r === false) return;
        // A longer candidate that fails the check may hide a shorter one inside it: try again one character on.
        if (r === null) re.lastIndex = m.index + 1;
      }
    };
  };
}

/** Characters of a custom pattern's window; matches start in it. */
export const CUSTOM_WINDOW = 1024;
/** Characters after the window a custom pattern's match may reach: a match no longer than this is always found whole. */
export const CUSTOM_OVERLAP = 256;
/** Characters before the window a custom pattern's lookbehind (or `\b`) can see. */
export const LOOKBEHIND_CONTEXT = 32;

/**
 * Every match of a custom pattern, each execution over at most
 * CUSTOM_WINDOW + CUSTOM_OVERLAP + LOOKBEHIND_CONTEXT characters. A match
 * is taken from the window it starts in; the next window starts where the
 * last match ended (as a global scan resumes there) or where this window
 * ends. Matches of at most CUSTOM_OVERLAP characters are the regex's own
 * over the whole text; a longer one is found cut at its window's end.
 */
export function windowed(source: string, flags: string): Scanner {
  const re = new RegExp(source, "g" + flags);
  return (text, take) => {
    const n = text.length;
    for (let s = 0; s < n; ) {
      const from = Math.max(0, s - LOOKBEHIND_CONTEXT);
      const to = Math.min(n, s + CUSTOM_WINDOW + CUSTOM_OVERLAP);
      const last = to === n;
      const slice = from === 0 && last ? text : text.slice(from, to);
      let next = s + CUSTOM_WINDOW;
      re.lastIndex = s - from;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        const start = from + m.index;
        if (start >= s + CUSTOM_WINDOW && !last) break;
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const end = start + m[0].length;
        const r = take(start, end);
        if (r === false) return;
        if (r === null) re.lastIndex = m.index + 1;
        else next = Math.max(next, end);
      }
      if (last) return;
      s = next;
    }
  };
}
