import { decide, type DecisionRequest } from "../../explain/decide.js";
import { AigwError } from "../../errors/errors.js";
import { ErrorCode } from "../../errors/codes.js";
import { ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { paint } from "../output/colour.js";
import { jsonWithNotices, pluginReview, textNotices, type PluginFlags } from "../plugin-review.js";
import { snapshotOrFindings } from "../snapshot-or-findings.js";
import { describeSteps, planPlugins, pluginRows } from "../../plugins/order.js";

export interface ExplainOptions extends PluginFlags {
  method: string;
  path: string;
  header: string[];
  model?: string;
  consumer?: string;
  body?: string;
  format: "text" | "json";
}

function parseHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf(":");
    if (i <= 0) throw new AigwError(ErrorCode.Usage, `--header ${JSON.stringify(pair)} is not of the form name:value`);
    headers[pair.slice(0, i).trim().toLowerCase()] = pair.slice(i + 1).trim();
  }
  return headers;
}

function parseBody(body: string | undefined): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new AigwError(ErrorCode.Usage, "--body must be a JSON object");
}

/** `cors (access) → request-headers → [tag-a ∥ tag-b]`, with where each runs: before auth (access) or after. */
function describePlugins(steps: Parameters<typeof describeSteps>[0]): string {
  const access = steps.filter((s) => s.phase === "access");
  const request = steps.filter((s) => s.phase === "request");
  return [access.length > 0 ? `before auth: ${describeSteps(access)}` : "", request.length > 0 ? `after auth: ${describeSteps(request)}` : ""].filter((x) => x !== "").join("; ");
}

/** `aigw explain`: the decision trace for one request. 0 matched, 1 no route. */
export async function explainCommand(file: string, opts: ExplainOptions, io: Io): Promise<number> {
  const request: DecisionRequest = { method: opts.method, path: opts.path, headers: parseHeaders(opts.header) };
  if (opts.model !== undefined) request.model = opts.model;
  if (opts.consumer !== undefined) request.consumer = opts.consumer;
  const body = parseBody(opts.body);
  if (body !== undefined) request.body = body;

  const reviewed = await snapshotOrFindings(file, io, opts.format, pluginReview(opts, io.cwd));
  if (reviewed === undefined) return ExitCode.Findings;
  io = reviewed.io; // prints no value the config took from the environment
  const { snapshot, notices } = reviewed;
  const d = decide(snapshot, request);
  const steps = d.route === null ? [] : planPlugins(snapshot.config.gateway.plugins, d.route.plugins, d.route.ai);
  const out = {
    matched: d.matched,
    route: d.route?.name ?? null,
    upstream: d.upstream,
    fallback: [...d.fallback],
    auth: [...d.auth],
    scopes: [...d.scopes],
    rateLimits: d.rateLimits,
    cacheable: d.cacheable,
    trace: d.trace,
    status: d.status,
    reason: d.reason,
    consumer: d.consumer,
    plugins: pluginRows(steps),
  };
  if (opts.format === "json") {
    io.stdout(jsonWithNotices(JSON.stringify(out, null, 2) + "\n", notices));
  } else {
    const p = paint(io.colour);
    const lines: string[] = [];
    lines.push(`${opts.method.toUpperCase()} ${opts.path}${request.model === undefined ? "" : ` (model ${request.model})`}`);
    if (d.route === null) lines.push(p.red(`no route: ${d.status} ${d.reason}`));
    else {
      lines.push(`route      ${p.bold(d.route.name)} (${snapshot.file}:${d.route.line})`);
      lines.push(`upstream   ${d.upstream ?? "-"}${d.route.split === null ? "" : `  split ${d.route.split.map((s) => `${s.upstream}:${s.weight}`).join(", ")}`}`);
      lines.push(`fallback   ${d.fallback.length > 0 ? d.fallback.join(" → ") : "-"}`);
      lines.push(`auth       ${d.auth.length > 0 ? `${d.auth.join(" or ")}${d.scopes.length > 0 ? `; scopes ${d.scopes.join(", ")}` : ""}` : "public"}`);
      lines.push(`consumer   ${d.consumer ?? "-"}`);
      lines.push(`limits     ${d.rateLimits.length > 0 ? d.rateLimits.map((l) => `${l.policy} (${l.key})`).join(", ") : "-"}`);
      lines.push(`cacheable  ${d.cacheable ? "yes" : "no"}`);
      lines.push(`plugins    ${steps.length === 0 ? "-" : describePlugins(steps)}`);
      lines.push(`decision   ${d.status} ${d.reason}`);
    }
    lines.push("trace");
    for (const t of d.trace) lines.push(`  ${t.matched ? p.green("✓") : p.dim("✗")} ${t.route.padEnd(24)} ${t.reason}`);
    io.stdout(lines.join("\n") + "\n" + textNotices(notices, io.colour));
  }
  return d.route === null ? ExitCode.Findings : ExitCode.Ok;
}
