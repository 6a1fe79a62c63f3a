import type { Change, PlanResult, Risk } from "../../plan/diff.js";
import { formatValue, listDelta, noChangesLine, shortHash, summaryLine, type PlanView } from "./plan-values.js";

/** The marker a CI job can look for to update its previous comment instead of adding one. */
export const PLAN_COMMENT_MARKER = "<!-- aigw-plan -->";

const BADGE: Record<Risk, string> = { high: "🔴 high", medium: "🟠 medium", low: "🟢 low" };
const ACTION = { add: "➕ add", change: "✏️ change", remove: "➖ remove" } as const;

/** Inline code that survives backticks and pipes inside a table cell. */
function code(text: string): string {
  const cell = text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  return cell.includes("`") ? `\`\` ${cell} \`\`` : `\`${cell}\``;
}

function escape(text: string): string {
  return text.replace(/[|<>*_[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

function fieldTable(c: Change): string[] {
  if (c.fields.length === 0) return [];
  const rows = c.fields.map((f) => {
    const before = f.before === null ? "—" : code(formatValue(f.before, 200));
    const after = f.after === null ? "—" : code(formatValue(f.after, 200));
    const delta = c.action === "change" ? listDelta(f.before, f.after) : "";
    return `| ${code(f.path)} | ${before} | ${after}${delta === "" ? "" : ` ${escape(delta)}`} |`;
  });
  return ["| field | before | after |", "|---|---|---|", ...rows];
}

function section(c: Change, view: PlanView): string[] {
  const risk = view.showRisk ? ` · ${BADGE[c.risk]} risk` : "";
  const out = [`#### ${ACTION[c.action]} ${c.kind} ${code(c.name)}${risk}`, ""];
  if (c.notes.length > 0) out.push(...c.notes.map((n) => `- ${escape(n)}`), "");
  const table = fieldTable(c);
  if (table.length > 0) out.push(...table, "");
  return out;
}

function headline(result: PlanResult, view: PlanView): string {
  const icon = !view.showRisk ? "" : result.summary.highRisk > 0 ? "🔴 " : result.changes.some((c) => c.risk === "medium") ? "🟠 " : "🟢 ";
  return `### ${icon}${summaryLine(result, view)}`;
}

/**
 * A ready pull-request comment: a heading with the one-line summary, the
 * compared sides, a table of changes with risk badges, then one section per
 * change with its consequences and field changes; low-risk sections are
 * folded in a `<details>`.
 */
export function formatPlanMarkdown(result: PlanResult, view: PlanView): string {
  const sides = `${code(view.to.label)} against ${code(view.from.label)}${view.from.hash === "" ? "" : ` (${code(shortHash(view.from.hash))})`}`;
  if (result.changes.length === 0) return [PLAN_COMMENT_MARKER, `### ✅ ${escape(noChangesLine(view))}`, ""].join("\n");
  const lines = [PLAN_COMMENT_MARKER, headline(result, view), "", sides, ""];
  const riskHeader = view.showRisk ? " risk |" : "";
  lines.push(`| | kind | name |${riskHeader} fields |`, `|---|---|---|${view.showRisk ? "---|" : ""}---|`);
  for (const c of result.changes) {
    const fields = c.fields.length === 0 ? "" : c.fields.slice(0, 4).map((f) => code(f.path)).join(", ") + (c.fields.length > 4 ? ` +${c.fields.length - 4}` : "");
    lines.push(`| ${ACTION[c.action]} | ${c.kind} | ${code(c.name)} |${view.showRisk ? ` ${BADGE[c.risk]} |` : ""} ${fields} |`);
  }
  lines.push("");
  const open = view.showRisk ? result.changes.filter((c) => c.risk !== "low") : result.changes;
  const folded = view.showRisk ? result.changes.filter((c) => c.risk === "low") : [];
  for (const c of open) lines.push(...section(c, view));
  if (folded.length > 0) {
    lines.push(`<details><summary>${folded.length} low-risk change${folded.length === 1 ? "" : "s"}</summary>`, "");
    for (const c of folded) lines.push(...section(c, view));
    lines.push("</details>", "");
  }
  return lines.join("\n");
}
