import { planConfigs } from "../plan/plan.js";
import type { PlanResult } from "../plan/diff.js";
import type { Io } from "./io.js";
import { formatJson as formatFindingsJson, formatText as formatFindingsText } from "./output/findings.js";
import { formatPlanMarkdown, PLAN_COMMENT_MARKER } from "./output/plan-markdown.js";
import { formatPlanText } from "./output/plan-text.js";
import { secretScrubber, type PlanView } from "./output/plan-values.js";
import { loadSource, type SourceResult } from "./plan-source.js";
import { jsonWithNotices, textNotices, type PluginReview } from "./plugin-review.js";
import type { Diagnostic } from "../config/diagnostic.js";

export type PlanFormat = "text" | "json" | "markdown";
export const PLAN_FORMATS: readonly PlanFormat[] = ["text", "json", "markdown"];

export interface CompareOptions {
  format: PlanFormat;
  token: string | undefined;
  title: PlanView["title"];
  review: PluginReview;
}

/** What a comparison ended with: a plan, or an input that is not a valid config (its findings already printed). */
export type CompareOutcome = { ok: true; result: PlanResult } | { ok: false };

function printInvalid(source: Extract<SourceResult, { ok: false }>, opts: CompareOptions, io: Io, scrub: (t: string) => string): void {
  if (opts.format === "json") io.stdout(scrub(formatFindingsJson(false, source.diagnostics)));
  else if (opts.format === "markdown") {
    const body = formatFindingsText(source.diagnostics, false);
    io.stdout(scrub(`${PLAN_COMMENT_MARKER}\n### ❌ ${opts.title} failed: \`${source.label}\` is not a valid config\n\n${codeBlock(body)}`));
  } else io.stdout(scrub(formatFindingsText(source.diagnostics, io.colour)));
  io.stderr(`aigw: ${source.label} is not a valid config\n`);
}

/** The notices under a plan comment, as a short list (the text form, in a code block). */
function markdownNotices(notices: readonly Diagnostic[]): string {
  if (notices.length === 0) return "";
  return `\n**Notes** (plugin code is not run by review commands):\n\n${codeBlock(formatFindingsText(notices, false))}`;
}

/** A fenced code block whose fence is longer than any backtick run in `body`: config text cannot close it and turn into markdown. */
export function codeBlock(body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}\n${body}${body.endsWith("\n") ? "" : "\n"}${fence}\n`;
}

/**
 * Loads both sides, diffs them and prints the result in the chosen format.
 * Every byte printed goes through the secret scrubber. Unreadable sources
 * throw (AigwError, exit 2 unless the command maps it).
 */
export async function compareSources(oldSpec: string, newSpec: string, opts: CompareOptions, io: Io): Promise<CompareOutcome> {
  const token = opts.token ?? io.env.AIGW_ADMIN_TOKEN;
  const texts: string[] = [];
  const sourceOptions = { token, review: opts.review, onText: (text: string) => void texts.push(text) };
  const scrubber = (): ((t: string) => string) => secretScrubber(io.env, texts, [token]);
  const before = await loadSource(oldSpec, io, sourceOptions);
  if (!before.ok) {
    printInvalid(before, opts, io, scrubber());
    return { ok: false };
  }
  const after = await loadSource(newSpec, io, sourceOptions);
  if (!after.ok) {
    printInvalid(after, opts, io, scrubber());
    return { ok: false };
  }
  const scrub = scrubber();
  const notices = [...before.notices, ...after.notices];
  const plan = opts.title === "Plan";
  const result = planConfigs(before.canonical, after.canonical, { impact: plan });
  const view: PlanView = {
    title: opts.title,
    showRisk: plan,
    from: { label: before.label, hash: before.hash },
    to: { label: after.label, hash: after.hash },
  };
  switch (opts.format) {
    case "json":
      io.stdout(scrub(jsonWithNotices(JSON.stringify(result, null, 2) + "\n", notices)));
      break;
    case "markdown":
      io.stdout(scrub(formatPlanMarkdown(result, view) + markdownNotices(notices)));
      break;
    default:
      io.stdout(scrub(formatPlanText(result, view, io.colour) + textNotices(notices, io.colour)));
  }
  return { ok: true, result };
}
