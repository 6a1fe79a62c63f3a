import { Decider, type Decision, type DecisionRequest } from "../explain/decide.js";
import type { Snapshot } from "../compile/snapshot.js";

/** One request as the access log recorded it (src/observability/access-log.ts). */
export interface AccessRecord {
  /** 1-based line in the log. */
  line: number;
  requestId: string | null;
  method: string;
  path: string;
  host: string | null;
  model: string | null;
  route: string | null;
  upstream: string | null;
  status: number;
  error: string | null;
  clientIp: string | null;
  /** The caller, when the log records one (`consumer` present; null = anonymous). */
  consumer: string | null | undefined;
  /** The policies that applied, when the log records them. */
  rateLimits: string[] | undefined;
}

export interface ParsedLog {
  records: AccessRecord[];
  /** JSON lines that are not access lines (startup, reload, errors…). */
  otherLines: number;
  /** Lines that are not JSON objects, or access lines without method, path or status. */
  malformedLines: number;
}

/** Reads JSON Lines, keeping `type: "access"` lines; blank lines are ignored. */
export function parseAccessLog(text: string): ParsedLog {
  const out: ParsedLog = { records: [], otherLines: 0, malformedLines: 0 };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      out.malformedLines++;
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      out.malformedLines++;
      continue;
    }
    const v = value as Record<string, unknown>;
    if (v.type !== "access") {
      out.otherLines++;
      continue;
    }
    const record = toRecord(v, i + 1);
    if (record === undefined) out.malformedLines++;
    else out.records.push(record);
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function toRecord(v: Record<string, unknown>, line: number): AccessRecord | undefined {
  if (typeof v.method !== "string" || typeof v.path !== "string" || !v.path.startsWith("/") || typeof v.status !== "number") return undefined;
  let rateLimits: string[] | undefined;
  if (Array.isArray(v.rateLimits)) {
    rateLimits = v.rateLimits
      .map((l: unknown) => (typeof l === "string" ? l : typeof l === "object" && l !== null ? str((l as Record<string, unknown>).policy) : null))
      .filter((l): l is string => l !== null);
  }
  return {
    line,
    requestId: str(v.requestId),
    method: v.method,
    path: v.path,
    host: str(v.host),
    model: str(v.model),
    route: str(v.route),
    upstream: str(v.upstream),
    status: v.status,
    error: str(v.error),
    clientIp: str(v.clientIp),
    consumer: "consumer" in v ? str(v.consumer) : undefined,
    rateLimits,
  };
}

/** The gateway's own decision: 200 = forwarded (whatever the upstream answered), else 400, 401, 403, 404. */
export type Outcome = 200 | 400 | 401 | 403 | 404;

/**
 * What the gateway decided for a recorded request, or undefined when the
 * line cannot tell (the request ended before routing: the client left, the
 * body was too large to read for `model`, the gateway was shutting down; or
 * auth could not decide: the issuer was unreachable).
 */
export function recordedOutcome(r: AccessRecord): Outcome | undefined {
  if (r.error === "invalid_path") return 400;
  if (r.route === null) return r.status === 404 ? 404 : undefined;
  if (r.error !== null && authErrors.has(r.error)) return authErrors.get(r.error);
  // A line without an error code (an older gateway): a 401/403 before any upstream was picked.
  if (r.error === null && (r.status === 401 || r.status === 403) && r.upstream === null) return r.status;
  return 200;
}

/** The data plane's auth error codes (src/errors/http.ts); undefined: auth could not decide (issuer unreachable). */
const authErrors: ReadonlyMap<string, Outcome | undefined> = new Map<string, Outcome | undefined>([
  ["missing_credentials", 401],
  ["invalid_credentials", 401],
  ["insufficient_scope", 403],
  ["model_not_allowed", 403],
  ["auth_unavailable", undefined],
]);

export interface Example {
  line: number;
  requestId: string | null;
  method: string;
  path: string;
  model: string | null;
}

export interface DifferenceGroup {
  kind: "status" | "route" | "upstream" | "rateLimits";
  /** `route chat → chat-v2`, `404 now (was route legacy)`. */
  message: string;
  count: number;
  from: { route: string | null; upstream: string | null; status: Outcome; rateLimits?: string[] };
  to: { route: string | null; upstream: string | null; status: Outcome; rateLimits?: string[] };
  /** The first few requests of the group. */
  examples: Example[];
}

export interface ReplayNote {
  kind: "auth-unchecked" | "model-unknown";
  message: string;
  count: number;
}

export interface ReplayReport {
  config: string;
  log: string;
  requests: number;
  same: number;
  different: number;
  skipped: { notAccess: number; malformed: number; undecided: number };
  differences: DifferenceGroup[];
  notes: ReplayNote[];
}

const MAX_EXAMPLES = 3;

/**
 * Replays recorded requests through a proposed config with `decide()` and
 * groups the requests it would decide differently. What the log does not
 * record cannot be compared: credentials (a request the recorded gateway
 * forwarded is taken to have held valid ones, unless the line records an
 * anonymous caller), limits (compared only when recorded).
 */
export function replay(snapshot: Snapshot, logFile: string, log: ParsedLog): ReplayReport {
  const decider = new Decider(snapshot);
  const groups = new Map<string, DifferenceGroup>();
  const notes = new Map<string, ReplayNote>();
  let undecided = 0;
  let same = 0;
  const note = (kind: ReplayNote["kind"], message: string): void => {
    const n = notes.get(message) ?? { kind, message, count: 0 };
    n.count++;
    notes.set(message, n);
  };

  for (const r of log.records) {
    const before = recordedOutcome(r);
    if (before === undefined) {
      undecided++;
      continue;
    }
    const request: DecisionRequest = { method: r.method, path: r.path, headers: r.host === null ? {} : { host: r.host } };
    if (r.model !== null) request.model = r.model;
    if (typeof r.consumer === "string") request.consumer = r.consumer;
    if (r.clientIp !== null) request.ip = r.clientIp;
    const d = decider.decide(request);
    const path = snapshot.router.normalize(r.path.split("?")[0] ?? "");
    if (r.model === null && path.ok && snapshot.router.candidates(path.path).needsModel) {
      note("model-unknown", "the log recorded no model, so routes that match on model could not be told apart");
    }

    let after: Outcome = d.status;
    if ((after === 401 || after === 403) && before === 200 && r.consumer === undefined) {
      // The recorded gateway forwarded it: the caller held credentials the log does not show.
      note("auth-unchecked", `route ${d.route?.name ?? "?"} requires ${d.auth.join(" or ")}: not checked, the access log does not record the caller`);
      after = 200;
    } else if (after === 403 && before === 200 && typeof r.consumer === "string") {
      // Scopes can come from the token, which the log does not record; only a model allow-list refusal is certain.
      const held = snapshot.consumers.get(r.consumer)?.scopes ?? [];
      if (!d.scopes.every((s) => held.includes(s))) {
        note("auth-unchecked", `route ${d.route?.name ?? "?"} requires scopes ${d.scopes.join(", ")}: not checked, the access log does not record token scopes`);
        after = 200;
      }
    }
    const diff = difference(r, before, d, after);
    if (diff === undefined) {
      same++;
      continue;
    }
    const g = groups.get(diff.message) ?? { ...diff, count: 0, examples: [] };
    g.count++;
    if (g.examples.length < MAX_EXAMPLES) g.examples.push({ line: r.line, requestId: r.requestId, method: r.method, path: r.path, model: r.model });
    groups.set(diff.message, g);
  }

  const differences = [...groups.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message));
  return {
    config: snapshot.file,
    log: logFile,
    requests: log.records.length - undecided,
    same,
    different: differences.reduce((n, g) => n + g.count, 0),
    skipped: { notAccess: log.otherLines, malformed: log.malformedLines, undecided },
    differences,
    notes: [...notes.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message)),
  };
}

/** Every upstream the route may answer from: its upstream or split members, then its fallback. */
function reachable(d: Decision): Set<string> {
  const route = d.route;
  if (route === null) return new Set();
  return new Set([...(route.upstream === null ? [] : [route.upstream]), ...(route.split ?? []).map((s) => s.upstream), ...route.fallback]);
}

const describeOutcome = (o: Outcome, route: string | null): string => (o === 200 ? `route ${route ?? "?"}` : String(o));

function difference(r: AccessRecord, before: Outcome, d: Decision, after: Outcome): Omit<DifferenceGroup, "count" | "examples"> | undefined {
  const newRoute = d.route?.name ?? null;
  const from = { route: r.route, upstream: r.upstream, status: before };
  const to = { route: newRoute, upstream: d.upstream, status: after };
  if (before !== after) {
    let message: string;
    if (after === 404 || after === 400) message = `${after} now (was ${describeOutcome(before, r.route)})`;
    else if (before === 404 || before === 400) message = `now ${after === 200 ? `routed to ${newRoute}` : `${after} on route ${newRoute}`} (was ${before})`;
    else if (after === 200) message = `route ${newRoute} now forwards requests that were ${before}${r.route === newRoute ? "" : ` on route ${r.route}`}`;
    else if (before === 200) message = `${after} now on route ${newRoute} (was forwarded${r.route === newRoute ? "" : ` by route ${r.route}`})`;
    else message = `${after} now on route ${newRoute} (was ${before})`;
    return { kind: "status", message, from, to };
  }
  if (before === 404 || before === 400) return undefined;
  const upstreamMoved = before === 200 && r.upstream !== null && !reachable(d).has(r.upstream);
  const upstreamPart = upstreamMoved ? `, upstream ${r.upstream} → ${d.upstream ?? "none"}` : "";
  if (r.route !== newRoute) return { kind: "route", message: `route ${r.route} → ${newRoute}${upstreamPart}`, from, to };
  if (upstreamMoved) return { kind: "upstream", message: `route ${newRoute}: upstream ${r.upstream} → ${d.upstream ?? "none"}`, from, to };
  if (before === 200 && r.rateLimits !== undefined) {
    const was = [...new Set(r.rateLimits)].sort();
    const now = [...new Set(d.rateLimits.map((l) => l.policy))].sort();
    if (was.join(",") !== now.join(",")) {
      return {
        kind: "rateLimits",
        message: `route ${newRoute}: limits [${was.join(", ")}] → [${now.join(", ")}]`,
        from: { ...from, rateLimits: was },
        to: { ...to, rateLimits: now },
      };
    }
  }
  return undefined;
}
