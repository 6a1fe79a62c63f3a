import type { CompiledRoute } from "../../compile/route.js";
import type { PluginEntry } from "../../config/types.js";
import { planPlugins, pluginRows, type PluginRow } from "../../plugins/order.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { formatTable } from "../output/table.js";
import { jsonWithNotices, pluginReview, textNotices, type PluginFlags } from "../plugin-review.js";
import { snapshotOrFindings } from "../snapshot-or-findings.js";

export interface RoutesOptions extends PluginFlags {
  format: "text" | "json";
}

/** One row of the compiled routing table, in the shape `--format json` prints. */
export interface RouteRow {
  precedence: number;
  route: string;
  match: { path?: string; pathPrefix?: string; methods?: string[]; host?: string; headers?: Record<string, string>; model?: string };
  upstream: string | null;
  split: { upstream: string; weight: number }[] | null;
  fallback: string[];
  auth: string[];
  scopes: string[];
  rateLimits: string[];
  ai: boolean;
  cache: { ttlMs: number; force: boolean; scope: string } | null;
  /** The plugins that run on the route (the gateway's included), in run order. */
  plugins: PluginRow[];
  line: number;
}

export function routeRow(route: CompiledRoute, precedence: number, gatewayPlugins: readonly PluginEntry[] = []): RouteRow {
  const match: RouteRow["match"] = route.pathKind === "exact" ? { path: route.path } : { pathPrefix: route.path };
  if (route.methods !== null) match.methods = [...route.methods];
  if (route.host !== null) match.host = route.host.pattern;
  if (route.headers.length > 0) match.headers = Object.fromEntries(route.headers.map((h) => [h.name, h.value.pattern]));
  if (route.model !== null) match.model = route.model.pattern;
  return {
    precedence,
    route: route.name,
    match,
    upstream: route.upstream,
    split: route.split === null ? null : route.split.map((s) => ({ ...s })),
    fallback: [...route.fallback],
    auth: [...route.auth],
    scopes: [...route.scopes],
    rateLimits: [...route.rateLimits],
    ai: route.ai,
    cache: route.cache === null ? null : { ...route.cache },
    plugins: pluginRows(planPlugins(gatewayPlugins, route.plugins, route.ai)),
    line: route.line,
  };
}

function target(row: RouteRow): string {
  const main = row.upstream ?? (row.split ?? []).map((s) => `${s.upstream}:${s.weight}`).join(",");
  return row.fallback.length > 0 ? `${main} → ${row.fallback.join(" → ")}` : main;
}

/** The plugins in run order, `+` joining those that run concurrently: `cors,request-headers,tag-a+tag-b`. */
function pluginCell(plugins: readonly PluginRow[]): string {
  if (plugins.length === 0) return "-";
  const steps: string[] = [];
  for (const p of plugins) {
    if (steps.length === p.step) steps[p.step - 1] += `+${p.name}`;
    else steps.push(p.name);
  }
  return steps.join(",");
}

/** `aigw routes <file>`: the compiled routing table in precedence order. */
export async function routesCommand(file: string, opts: RoutesOptions, io: Io): Promise<number> {
  const reviewed = await snapshotOrFindings(file, io, opts.format, pluginReview(opts, io.cwd));
  if (reviewed === undefined) return ExitCode.Findings;
  io = reviewed.io; // prints no value the config took from the environment
  const { snapshot, notices } = reviewed;
  const gatewayPlugins = snapshot.config.gateway.plugins;
  const rows = snapshot.router.ordered().map((r, i) => routeRow(r, i + 1, gatewayPlugins));
  if (opts.format === "json") {
    io.stdout(jsonWithNotices(JSON.stringify({ hash: snapshot.hash, routes: rows }, null, 2) + "\n", notices));
    return ExitCode.Ok;
  }
  io.stdout(
    formatTable(
      ["#", "ROUTE", "PATH", "METHODS", "HOST", "MODEL", "UPSTREAM", "AUTH", "LIMITS", "PLUGINS"],
      rows.map((r) => [
        String(r.precedence),
        r.route,
        r.match.path !== undefined ? `= ${r.match.path}` : `${r.match.pathPrefix}${r.match.pathPrefix === "/" ? "" : "/"}*`,
        r.match.methods?.join(",") ?? "*",
        r.match.host ?? "*",
        r.match.model ?? "-",
        target(r),
        r.auth.length > 0 ? r.auth.join("|") : "public",
        r.rateLimits.join(",") || "-",
        pluginCell(r.plugins),
      ]),
    ) + textNotices(notices, io.colour),
  );
  return ExitCode.Ok;
}
