import { performance } from "node:perf_hooks";
import { Decider, type Decision } from "../explain/decide.js";
import type { Snapshot } from "../compile/snapshot.js";
import { didYouMean } from "../config/suggest.js";
import { EXPECTATION_FIELDS, type ExpectationField, type Expectations, type TestCase } from "./cases.js";

/** One expectation that did not hold. */
export interface FieldFailure {
  /** `route`, `upstream`, …; `rateLimits.<policy>.key` for a key. */
  field: string;
  expected: unknown;
  actual: unknown;
  /** Why, in words: the decision's reason for a status, an unknown name in the expectation. */
  note?: string;
}

export interface CaseResult {
  case: TestCase;
  decision: Decision;
  failures: FieldFailure[];
  durationMs: number;
}

/** Runs every case through `decide()` and compares the fields each one expects. */
export function runCases(snapshot: Snapshot, cases: readonly TestCase[]): CaseResult[] {
  const decider = new Decider(snapshot);
  return cases.map((c) => {
    const started = performance.now();
    const decision = decider.decide(c.request);
    const failures = compare(snapshot, c.expect, decision);
    return { case: c, decision, failures, durationMs: performance.now() - started };
  });
}

/** The decision as the cases file spells it (route by name, limits by policy). */
export function actualOf(d: Decision): Required<Omit<Expectations, "rateLimits">> & { rateLimits: { policy: string; key: string }[] } {
  return {
    route: d.route?.name ?? null,
    upstream: d.upstream,
    fallback: [...d.fallback],
    status: d.status,
    auth: [...d.auth],
    scopes: [...d.scopes],
    consumer: d.consumer,
    rateLimits: d.rateLimits.map((l) => ({ policy: l.policy, key: l.key })),
    cacheable: d.cacheable,
  };
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: readonly string[], b: readonly string[]): boolean => sameList([...new Set(a)].sort(), [...new Set(b)].sort());

function compare(snapshot: Snapshot, expect: Expectations, d: Decision): FieldFailure[] {
  const actual = actualOf(d);
  const failures: FieldFailure[] = [];
  const fail = (field: string, expected: unknown, got: unknown, note?: string): void => {
    failures.push(note === undefined ? { field, expected, actual: got } : { field, expected, actual: got, note });
  };
  for (const field of EXPECTATION_FIELDS) {
    if (expect[field] === undefined) continue;
    check(field);
  }
  return failures;

  function check(field: ExpectationField): void {
    switch (field) {
      case "route":
      case "upstream":
      case "consumer": {
        const want = expect[field] ?? null;
        if (want !== actual[field]) fail(field, want, actual[field], unknownName(snapshot, field, want));
        return;
      }
      case "status":
        if (expect.status !== actual.status) fail("status", expect.status, actual.status, d.reason);
        return;
      case "cacheable":
        if (expect.cacheable !== actual.cacheable) fail("cacheable", expect.cacheable, actual.cacheable);
        return;
      case "fallback": {
        const want = expect.fallback ?? [];
        if (!sameList(want, actual.fallback)) fail("fallback", want, actual.fallback, unknownNames(snapshot, "upstream", want));
        return;
      }
      case "auth":
      case "scopes": {
        const want = expect[field] ?? [];
        if (!sameSet(want, actual[field])) fail(field, want, actual[field], field === "auth" ? unknownNames(snapshot, "auth", want) : undefined);
        return;
      }
      case "rateLimits": {
        const want = expect.rateLimits ?? [];
        const names = want.map((l) => l.policy);
        const got = actual.rateLimits.map((l) => l.policy);
        if (!sameSet(names, got)) {
          fail("rateLimits", names, got, unknownNames(snapshot, "policy", names));
          return;
        }
        for (const l of want) {
          if (l.key === undefined) continue;
          const key = actual.rateLimits.find((a) => a.policy === l.policy)?.key;
          if (key !== l.key) fail(`rateLimits.${l.policy}.key`, l.key, key ?? null);
        }
      }
    }
  }
}

type Kind = "route" | "upstream" | "consumer" | "auth" | "policy";

function namesOf(snapshot: Snapshot, kind: Kind): Iterable<string> {
  switch (kind) {
    case "route":
      return snapshot.routes.map((r) => r.name);
    case "upstream":
      return snapshot.upstreams.keys();
    case "consumer":
      return snapshot.consumers.keys();
    case "auth":
      return snapshot.authProviders.keys();
    case "policy":
      return snapshot.policies.keys();
  }
}

/** "no route named …; did you mean …?" when an expectation names something the config does not declare. */
function unknownName(snapshot: Snapshot, kind: Kind, name: string | null): string | undefined {
  if (name === null) return undefined;
  const names = [...namesOf(snapshot, kind)];
  if (names.includes(name)) return undefined;
  // A consumer may be an identity with no declared consumer (DESIGN 10): not a mistake.
  if (kind === "consumer") return undefined;
  const what = kind === "policy" ? "rate-limit policy" : kind === "auth" ? "auth provider" : kind;
  return `${snapshot.file} declares no ${what} ${JSON.stringify(name)}${didYouMean(name, names)}`;
}

function unknownNames(snapshot: Snapshot, kind: Kind, names: readonly string[]): string | undefined {
  const notes = names.map((n) => unknownName(snapshot, kind, n)).filter((n): n is string => n !== undefined);
  return notes.length === 0 ? undefined : notes.join("; ");
}
