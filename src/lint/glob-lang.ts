/**
 * Exact set algebra over the string conditions of a route (model globs,
 * header-value globs, host patterns): which requests two sets of patterns
 * share, whether one set covers another. Each pattern is a small automaton
 * over its positions; a product of them is explored over an alphabet made of
 * the patterns' own characters plus one character none of them names, which
 * stands for every other character. The exploration is exact; it gives up
 * (GiveUp) only past a step budget, and callers then say nothing.
 */

export type Token = { readonly t: "lit"; readonly c: string } | { readonly t: "one" } | { readonly t: "star" };
export type Pattern = readonly Token[];

/**
 * A set of values of one request field: strings and possibly "absent".
 * A string is in the set when `any`, or when it matches some pattern of
 * every clause (clauses are intersected; a route that names one header
 * twice has two clauses).
 */
export interface StrSet {
  readonly any: boolean;
  /** The absent value (no such header, no model in the body) is in the set. */
  readonly undef: boolean;
  readonly clauses: readonly (readonly Pattern[])[];
}

/** Every string, and absence too: a route without the condition. */
export const ANY_VALUE: StrSet = Object.freeze({ any: true, undef: true, clauses: [] });

/** A glob as `compileGlob` reads it: `*` any run, `?` one character. */
export function globPattern(glob: string): Pattern {
  return [...glob].map((c): Token => (c === "*" ? { t: "star" } : c === "?" ? { t: "one" } : { t: "lit", c }));
}

/** Any of `globs`, never absent (a `model` condition, a header condition). */
export function globSet(globs: readonly string[]): StrSet {
  if (globs.includes("*")) return { any: true, undef: false, clauses: [] };
  return { any: false, undef: false, clauses: [globs.map(globPattern)] };
}

/**
 * A host pattern as `compileHost` reads it: exact, `*.suffix` (at least one
 * character before the suffix), `prefix.*` (at least one after), `*`.
 */
export function hostSet(pattern: string): StrSet {
  const p = pattern.toLowerCase();
  if (p === "*") return ANY_VALUE;
  const lits = (s: string): Token[] => [...s].map((c): Token => ({ t: "lit", c }));
  let tokens: Token[];
  if (p.startsWith("*.")) tokens = [{ t: "one" }, { t: "star" }, ...lits(p.slice(1))];
  else if (p.endsWith(".*")) tokens = [...lits(p.slice(0, -1)), { t: "one" }, { t: "star" }];
  else tokens = lits(p);
  return { any: false, undef: false, clauses: [[tokens]] };
}

/** Intersection of two sets. */
export function intersectSets(a: StrSet, b: StrSet): StrSet {
  if (a.any && a.undef) return b;
  if (b.any && b.undef) return a;
  return { any: a.any && b.any, undef: a.undef && b.undef, clauses: [...a.clauses, ...b.clauses] };
}

export class GiveUp extends Error {
  constructor() {
    super("set comparison exceeded its budget");
  }
}

/** Steps an exploration may take before giving up; shared by the comparisons of one question. */
export class Budget {
  private steps = 0;
  constructor(private readonly max: number) {}
  spend(n: number): void {
    this.steps += n;
    if (this.steps > this.max) throw new GiveUp();
  }
}

/** One kind of member of the subject set: which of the other sets hold it, and an example. */
export interface Region {
  readonly inside: readonly boolean[];
  /** A value in this region (undefined: the absent value). */
  readonly witness: string | undefined;
}

/** A union of patterns, run as one automaton whose state is a set of (pattern, position). */
class Tracker {
  private readonly width: number;
  constructor(readonly patterns: readonly Pattern[]) {
    this.width = Math.max(1, ...patterns.map((p) => p.length + 1));
  }
  start(): number[] {
    return this.close(this.patterns.map((_, i) => i * this.width));
  }
  step(state: readonly number[], ch: string): number[] {
    const next: number[] = [];
    for (const code of state) {
      const pi = Math.floor(code / this.width);
      const pos = code % this.width;
      const tok = this.patterns[pi]![pos];
      if (tok === undefined) continue;
      if (tok.t === "star") next.push(code);
      else if (tok.t === "one" || tok.c === ch) next.push(code + 1);
    }
    return this.close(next);
  }
  accepts(state: readonly number[]): boolean {
    return state.some((code) => code % this.width === this.patterns[Math.floor(code / this.width)]!.length);
  }
  /** Adds the positions reached by letting a `*` match nothing. */
  private close(codes: number[]): number[] {
    const seen = new Set<number>();
    const stack = [...codes];
    while (stack.length > 0) {
      const code = stack.pop()!;
      if (seen.has(code)) continue;
      seen.add(code);
      const tok = this.patterns[Math.floor(code / this.width)]![code % this.width];
      if (tok?.t === "star") stack.push(code + 1);
    }
    return [...seen].sort((x, y) => x - y);
  }
}

/**
 * The distinct ways a member of `subject` can relate to `others`: for each
 * reachable combination of memberships, one region with an example value.
 * An empty result means `subject` is empty.
 */
export function regions(subject: StrSet, others: readonly StrSet[], budget: Budget): Region[] {
  const found = new Map<string, Region>();
  const add = (inside: boolean[], witness: string | undefined): void => {
    const key = inside.map((b) => (b ? "1" : "0")).join("");
    if (!found.has(key)) found.set(key, { inside, witness });
  };
  if (subject.undef) add(others.map((o) => o.undef), undefined);

  // One tracker per clause; the subject's first, then each other set's.
  const trackers: Tracker[] = [];
  const subjectClauses: number[] = [];
  const otherClauses: number[][] = [];
  if (!subject.any) for (const clause of subject.clauses) subjectClauses.push(trackers.push(new Tracker(clause)) - 1);
  for (const o of others) {
    const own: number[] = [];
    if (!o.any) for (const clause of o.clauses) own.push(trackers.push(new Tracker(clause)) - 1);
    otherClauses.push(own);
  }
  const alphabet = alphabetOf(trackers);
  const start = trackers.map((t) => t.start());
  const seen = new Set<string>([keyOf(start)]);
  const queue: { state: number[][]; text: string }[] = [{ state: start, text: "" }];
  while (queue.length > 0) {
    const { state, text } = queue.shift()!;
    budget.spend(alphabet.length + 1);
    if (subjectClauses.some((i) => state[i]!.length === 0)) continue; // no member of the subject starts with this text
    if (subjectClauses.every((i) => trackers[i]!.accepts(state[i]!))) {
      add(
        others.map((o, k) => o.any || otherClauses[k]!.every((i) => trackers[i]!.accepts(state[i]!))),
        text,
      );
    }
    for (const ch of alphabet) {
      const next = state.map((s, i) => trackers[i]!.step(s, ch));
      const key = keyOf(next);
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push({ state: next, text: text + ch });
    }
  }
  return [...found.values()];
}

function keyOf(state: readonly (readonly number[])[]): string {
  return state.map((s) => s.join(",")).join("|");
}

/** The patterns' literal characters and one more that none of them names. */
function alphabetOf(trackers: readonly Tracker[]): string[] {
  const chars = new Set<string>();
  for (const t of trackers) for (const p of t.patterns) for (const tok of p) if (tok.t === "lit") chars.add(tok.c);
  const spare = [..."xqzjkvwy0123456789"].find((c) => !chars.has(c)) ?? "\u{E000}";
  return [...chars, spare];
}

/** Whether the two sets share a value. */
export function intersects(a: StrSet, b: StrSet, budget: Budget): boolean {
  return regions(a, [b], budget).some((r) => r.inside[0] === true);
}

/** A value in both sets, if there is one (undefined also when the only shared value is absence). */
export function sharedExample(a: StrSet, b: StrSet, budget: Budget): string | undefined {
  return regions(a, [b], budget).find((r) => r.inside[0] === true && r.witness !== undefined)?.witness;
}

/** Whether every value of `sub` is in `sup`. */
export function includes(sup: StrSet, sub: StrSet, budget: Budget): boolean {
  return regions(sub, [sup], budget).every((r) => r.inside[0] === true);
}

/** Whether every value of `sub` is in at least one of `sups`. */
export function coveredByUnion(sub: StrSet, sups: readonly StrSet[], budget: Budget): boolean {
  return regions(sub, sups, budget).every((r) => r.inside.some((x) => x));
}

/** Whether the set holds no value at all. */
export function isEmptySet(s: StrSet, budget: Budget): boolean {
  return regions(s, [], budget).length === 0;
}
