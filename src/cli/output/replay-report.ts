import type { Example, ReplayReport } from "../../routing-tests/replay.js";
import { paint } from "./colour.js";

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function example(e: Example): string {
  return `${e.method} ${e.path}${e.model === null ? "" : ` (model ${e.model})`}, line ${e.line}${e.requestId === null ? "" : `, request ${e.requestId}`}`;
}

/** The differences grouped, largest first, one example request each; then notes and skipped lines. */
export function formatReplayText(report: ReplayReport, colour: boolean): string {
  const p = paint(colour);
  const lines: string[] = [`Replayed ${plural(report.requests, "request")} from ${report.log} through ${report.config}`];
  if (report.different === 0) lines.push(p.green(`no differences: every request would be decided as it was`));
  else {
    lines.push(`${p.red(`${plural(report.different, "request")} would be decided differently`)}, ${report.same} the same:`);
    lines.push("");
    for (const g of report.differences) {
      lines.push(`  ${g.message}: ${p.bold(plural(g.count, "request"))}`);
      const first = g.examples[0];
      if (first !== undefined) lines.push(p.dim(`      e.g. ${example(first)}`));
    }
  }
  if (report.notes.length > 0) {
    lines.push("");
    lines.push("Notes:");
    for (const n of report.notes) lines.push(`  ${plural(n.count, "request")}: ${n.message}`);
  }
  const s = report.skipped;
  const skipped = s.notAccess + s.malformed + s.undecided;
  if (skipped > 0) {
    const parts = [
      s.notAccess > 0 ? `${s.notAccess} not access lines` : "",
      s.malformed > 0 ? `${s.malformed} malformed` : "",
      s.undecided > 0 ? `${s.undecided} ended before routing` : "",
    ].filter((x) => x !== "");
    lines.push("");
    lines.push(p.dim(`Skipped ${plural(skipped, "line")}: ${parts.join(", ")}`));
  }
  return lines.join("\n") + "\n";
}

/** `{ok, config, log, summary: {requests, same, different, skipped}, differences: [...], notes: [...]}`. */
export function formatReplayJson(report: ReplayReport): string {
  const out = {
    ok: report.different === 0,
    config: report.config,
    log: report.log,
    summary: { requests: report.requests, same: report.same, different: report.different, skipped: report.skipped },
    differences: report.differences,
    notes: report.notes,
  };
  return JSON.stringify(out, null, 2) + "\n";
}
