import type { Change, PlanResult, Risk } from "../../plan/diff.js";
import { paint, type Paint } from "./colour.js";
import { formatValue, listDelta, noChangesLine, shortHash, summaryLine, type PlanView } from "./plan-values.js";

const SIGN = { add: "+", change: "~", remove: "-" } as const;

function colourRisk(p: Paint, risk: Risk): string {
  return risk === "high" ? p.bold(p.red("high risk")) : risk === "medium" ? p.yellow("medium risk") : p.dim("low risk");
}

function signed(p: Paint, change: Change): string {
  const sign = SIGN[change.action];
  return change.action === "add" ? p.green(sign) : change.action === "remove" ? p.red(sign) : p.yellow(sign);
}

function side(label: string, hash: string): string {
  return hash === "" ? label : `${label} (${shortHash(hash)})`;
}

/**
 * The text form: a summary line, then one block per object:
 * `~ route chat  high risk`, its fields (`path: before → after`; an added or
 * removed object lists its fields as `key: value`) and notes (`* ...`).
 */
export function formatPlanText(result: PlanResult, view: PlanView, colour: boolean): string {
  const p = paint(colour);
  const lines: string[] = [];
  const header = `${side(view.from.label, view.from.hash)} → ${side(view.to.label, view.to.hash)}`;
  if (result.changes.length === 0) return `${p.green(noChangesLine(view))}\n`;
  const summary = summaryLine(result, view);
  lines.push(p.bold(view.showRisk && result.summary.highRisk > 0 ? p.red(summary) : summary), p.dim(header), "");
  for (const c of result.changes) {
    const risk = view.showRisk ? `  ${colourRisk(p, c.risk)}` : "";
    lines.push(`${signed(p, c)} ${c.kind} ${p.bold(c.name)}${risk}`);
    for (const f of c.fields) {
      if (c.action === "change") {
        const delta = listDelta(f.before, f.after);
        lines.push(`    ${f.path}: ${p.red(formatValue(f.before))} → ${p.green(formatValue(f.after))}${delta === "" ? "" : ` ${p.dim(delta)}`}`);
      } else {
        const value = c.action === "add" ? f.after : f.before;
        lines.push(`    ${f.path}: ${formatValue(value)}`);
      }
    }
    for (const n of c.notes) lines.push(`    ${p.dim("*")} ${n}`);
  }
  return lines.join("\n") + "\n";
}
