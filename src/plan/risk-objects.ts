import { isPlainObject, valuesEqual, type JsonObject } from "./compare.js";
import { byName, type DiffEntry } from "./diff.js";
import { compareBudgets, compareRates, describeRate, describeRateChange, effectiveRates, rateFactor, rateOf, RAISE_FACTOR } from "./limits.js";
import { GUARD_PLUGINS } from "./risk-routes.js";
import { Assessment, names, referrers, strings, type RiskContext } from "./risk-context.js";

/** Consumers: a budget or limit removed, or raised more than 10×, is high. */
export function assessConsumer(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const name = change.name;
  const subject = `consumer ${name}`;
  if (change.action === "add") {
    const rates = [...effectiveRates(ctx.after.get("rateLimit")!, b?.rateLimits).values()].map(describeRate);
    out.note(`new ${subject}${rates.length > 0 ? `: ${rates.join(", ")}` : ""}`);
    return;
  }
  if (change.action === "remove" || entry.renamedFrom !== undefined) {
    // Keys name their consumer: a key still naming a removed (or renamed) consumer authenticates without its policies.
    const gone = entry.renamedFrom ?? name;
    const keys = [...ctx.after.get("auth")!.values()].flatMap((p) => (Array.isArray(p.keys) ? p.keys : [])).filter((k) => isPlainObject(k) && k.consumer === gone);
    if (keys.length === 0) {
      if (change.action === "remove") out.note(`${subject} removed`);
      return;
    }
    const what = change.action === "remove" ? `${subject} removed` : `consumer ${gone} renamed to ${name}`;
    out.note(`${what} while keys ${keys.map((k) => String((k as JsonObject).id)).join(", ")} still authenticate as ${gone}: its budget, scopes and limits no longer apply`);
    const who = `consumer ${gone}`;
    for (const delta of [compareBudgets(who, a?.budget, undefined), compareRates(who, effectiveRates(ctx.before.get("rateLimit")!, a?.rateLimits), new Map())]) {
      for (const n of delta.notes) out.note(n, delta.high ? "high" : "low");
    }
    return;
  }
  if (a === undefined || b === undefined) return;
  const budget = compareBudgets(subject, a.budget, b.budget);
  for (const n of budget.notes) out.note(n, budget.high ? "high" : "low");
  if (!valuesEqual(a.rateLimits, b.rateLimits, "rateLimits")) {
    const delta = compareRates(subject, effectiveRates(ctx.before.get("rateLimit")!, a.rateLimits), effectiveRates(ctx.after.get("rateLimit")!, b.rateLimits));
    for (const n of delta.notes) out.note(n, delta.high ? "high" : "low");
  }
  for (const s of strings(b.scopes).filter((x) => !strings(a.scopes).includes(x))) out.note(`${subject}: gains scope ${s}`);
  for (const s of strings(a.scopes).filter((x) => !strings(b.scopes).includes(x))) out.note(`${subject}: loses scope ${s}`);
  if (a.models !== undefined && b.models === undefined) out.note(`${subject}: may use every model (allow-list removed)`);
  else if (a.models !== undefined) {
    for (const m of strings(b.models).filter((x) => !strings(a.models).includes(x))) out.note(`${subject}: may use ${m}`);
    for (const m of strings(a.models).filter((x) => !strings(b.models).includes(x))) out.note(`${subject}: may no longer use ${m}`);
  } else if (b.models !== undefined) out.note(`${subject}: limited to models ${strings(b.models).join(", ")}`);
}

/** Who names a policy: `consumer acme`, `route chat`, `every route`. */
function policyUsers(ctx: RiskContext, policy: string): string[] {
  const out = [
    ...referrers(ctx.after.get("consumer")!, "rateLimits", policy).map((n) => `consumer ${n}`),
    ...referrers(ctx.after.get("route")!, "rateLimits", policy).map((n) => `route ${n}`),
  ];
  const gateway = ctx.new.gateway;
  if (isPlainObject(gateway) && strings(gateway.rateLimits).includes(policy)) out.push("every route (gateway)");
  return out;
}

/** Policies: a rate raised more than 10× or a policy put in `shadow` mode is high; each user gets a line. */
export function assessRateLimit(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const name = change.name;
  if (entry.renamedFrom !== undefined) return;
  if (change.action !== "change") {
    const r = rateOf(a ?? b);
    out.note(`${change.action === "add" ? "new" : "removed"} policy ${name}${r === undefined ? "" : `: ${describeRate(r)}, per ${String((a ?? b)?.key)}`}`);
    return;
  }
  const ra = rateOf(a);
  const rb = rateOf(b);
  const users = policyUsers(ctx, name);
  if (ra !== undefined && rb !== undefined) {
    if (ra.enforced && !rb.enforced) out.note(`policy ${name} no longer enforced (shadow mode): ${names(users) || "no users"}`, "high");
    if (!ra.enforced && rb.enforced) out.note(`policy ${name} now enforced (was shadow)`);
    if (ra.cost !== rb.cost) out.note(`policy ${name} counts ${rb.cost} instead of ${ra.cost}`);
    else if (rateFactor(ra, rb) !== 1) {
      const risk = rateFactor(ra, rb) > RAISE_FACTOR ? "high" : "low";
      const line = describeRateChange(ra, rb);
      if (users.length === 0) out.note(`policy ${name} (unused): ${line}`, risk);
      for (const u of users.slice(0, 5)) out.note(`${u}: ${line}`, risk);
      if (users.length > 5) out.note(`and ${users.length - 5} more: ${line}`, risk);
    }
  }
  if (a?.key !== b?.key) out.note(`policy ${name} counted per ${String(a?.key)} → per ${String(b?.key)}`);
  if (a?.algorithm !== b?.algorithm) out.note(`policy ${name}: algorithm ${String(a?.algorithm)} → ${String(b?.algorithm)}`);
}

/** Auth providers: keys added or revoked, accepted algorithms and audiences, with the routes they guard. */
export function assessAuthProvider(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const name = change.name;
  const side = change.action === "remove" ? ctx.before : ctx.after;
  const routes = referrers(side.get("route")!, "auth", name);
  const guards = routes.length === 0 ? "no route" : `routes ${names(routes)}`;
  if (change.action !== "change") {
    out.note(`${change.action === "add" ? "new" : "removed"} auth provider ${name} (${String((a ?? b)?.type)}), used by ${guards}`);
    return;
  }
  if (entry.renamedFrom !== undefined || a === undefined || b === undefined) return;
  const ka = byName(a.keys, "id");
  const kb = byName(b.keys, "id");
  for (const [id, k] of kb) if (!ka.has(id)) out.note(`auth ${name}: new key ${id} for consumer ${String(k.consumer)} (${guards})`);
  for (const [id, k] of ka) if (!kb.has(id)) out.note(`auth ${name}: key ${id} of consumer ${String(k.consumer)} revoked`);
  for (const [id, k] of kb) {
    const old = ka.get(id);
    if (old !== undefined && old.consumer !== k.consumer) out.note(`auth ${name}: key ${id} now authenticates consumer ${String(k.consumer)} (was ${String(old.consumer)})`);
  }
  for (const alg of strings(b.algorithms).filter((x) => !strings(a.algorithms).includes(x))) out.note(`auth ${name}: also accepts ${alg} tokens`);
  for (const aud of strings(b.audience).filter((x) => !strings(a.audience).includes(x))) out.note(`auth ${name}: also accepts audience ${aud}`);
  if (a.issuer !== b.issuer) out.note(`auth ${name}: issuer ${String(a.issuer)} → ${String(b.issuer)}`);
  if (a.defaultConsumer !== b.defaultConsumer) out.note(`auth ${name}: default consumer ${String(a.defaultConsumer ?? "none")} → ${String(b.defaultConsumer ?? "none")}`);
  if (out.notes.length > 0 || change.fields.length > 0) out.note(`auth ${name} guards ${guards}`);
}

/** Gateway plugins (every route): removing a guard plugin (`ip-allow`, ...) is high. */
export function assessPlugin(_ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change } = entry;
  const plugin = change.name.replace(/#\d+$/, "");
  if (change.action === "remove") {
    const guard = GUARD_PLUGINS[plugin];
    out.note(guard === undefined ? `every route: plugin ${change.name} removed` : `every route: plugin ${change.name} removed, ${guard}`, guard === undefined ? "low" : "high");
  } else if (change.action === "add") out.note(`every route: plugin ${change.name} added`);
  else out.note(`every route: plugin ${change.name} reconfigured`);
}

export function assessPricing(_ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  const price = (p: JsonObject | undefined): string => `$${String(p?.input)} in / $${String(p?.output)} out per 1M tokens`;
  if (change.action === "add") out.note(`model ${change.name} priced at ${price(b)}`);
  else if (change.action === "remove") out.note(`model ${change.name} no longer priced (was ${price(a)}): its cost is not counted against budgets`);
  else if (entry.renamedFrom === undefined) out.note(`model ${change.name}: ${price(a)} → ${price(b)}`);
}

/** Sections: gateway-wide limits as for consumers, admin auth, shared state. */
export function assessSection(ctx: RiskContext, entry: DiffEntry, out: Assessment): void {
  const { change, before: a, after: b } = entry;
  if (change.name === "gateway") {
    const delta = compareRates("every route (gateway)", effectiveRates(ctx.before.get("rateLimit")!, a?.rateLimits), effectiveRates(ctx.after.get("rateLimit")!, b?.rateLimits));
    for (const n of delta.notes) out.note(n, delta.high ? "high" : "low");
  }
  if (change.name === "server") {
    if (a?.adminAuth !== undefined && b?.adminAuth === undefined) out.note("the admin API no longer requires a token (loopback only)", "medium");
    if (a?.adminAuth === undefined && b?.adminAuth !== undefined) out.note("the admin API now requires a bearer token");
    if (a?.listen !== b?.listen) out.note(`data listener ${String(a?.listen)} → ${String(b?.listen)}`);
    if (a?.admin !== b?.admin) out.note(`admin listener ${String(a?.admin)} → ${String(b?.admin)}`);
    if (!valuesEqual(a?.trustProxy, b?.trustProxy)) out.note(`trusted proxies ${JSON.stringify(a?.trustProxy)} → ${JSON.stringify(b?.trustProxy)}: changes which client IP limits and ip-allow see`);
  }
  if (change.name === "state") {
    const ra = isPlainObject(a?.redis) ? a.redis : undefined;
    const rb = isPlainObject(b?.redis) ? b.redis : undefined;
    if (ra !== undefined && rb === undefined) out.note("state moves from Redis to memory: counters, cache and usage become per replica (limits multiply by the replica count)");
    if (ra === undefined && rb !== undefined) out.note("state moves to Redis: counters, cache and usage are shared by the replicas");
    if (ra !== undefined && rb !== undefined && ra.onError !== rb.onError) out.note(`while Redis is down: ${String(ra.onError)} → ${String(rb.onError)}`);
  }
}
