import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";

/** Parses strictly (duplicate keys and syntax errors fail), as GitHub and GitLab would reject them. */
function load(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true, strict: true, prettyErrors: false });
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  expect(doc.warnings.map((e) => e.message)).toEqual([]);
  return doc.toJS() as Record<string, unknown>;
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe("examples/ci", () => {
  it("github-actions.yml is a workflow that validates, lints with SARIF upload, tests, and comments the plan", () => {
    const wf = load("examples/ci/github-actions.yml") as { on: Record<string, unknown>; jobs: Record<string, { "runs-on": string; steps: Step[]; permissions?: Record<string, string> }> };
    expect(Object.keys(wf.on)).toEqual(["pull_request", "push"]);
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    for (const job of Object.values(wf.jobs)) {
      expect(job["runs-on"]).toBe("ubuntu-latest");
      for (const step of job.steps) expect(step.uses !== undefined || step.run !== undefined).toBe(true);
    }
    const runs = steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toContain("npm install --global");
    expect(runs).toContain("aigw validate gateway.yaml --format github");
    expect(runs).toContain("aigw lint gateway.yaml --format sarif > aigw-lint.sarif");
    expect(runs).toContain("aigw test gateway.yaml tests/routing.yaml --fail-under 80 --format junit > aigw-test.xml");
    expect(runs).toMatch(/aigw plan gateway\.yaml --against "git:origin\/\$\{BASE_REF\}:gateway\.yaml" --format markdown --detailed-exitcode > plan\.md/);
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses).toContain("github/codeql-action/upload-sarif@v3");
    expect(uses).toContain("actions/github-script@v7");
    expect(steps.find((s) => s.uses === "github/codeql-action/upload-sarif@v3")?.with?.sarif_file).toBe("aigw-lint.sarif");
    expect(wf.jobs.check?.permissions?.["security-events"]).toBe("write");
    expect(wf.jobs.plan?.permissions?.["pull-requests"]).toBe("write");
    const script = String(steps.find((s) => s.uses === "actions/github-script@v7")?.with?.script);
    expect(script).toContain("createComment");
    expect(script).toContain("aigw: high risk");
  });

  it("gitlab-ci.yml has the same jobs, a JUnit report and an MR note", () => {
    type Job = { stage?: string; script?: string[]; extends?: string; artifacts?: { reports?: { junit?: string } } };
    const ci = load("examples/ci/gitlab-ci.yml");
    const stages = ci.stages as string[];
    expect(stages).toEqual(["check", "review"]);
    const jobs = Object.entries(ci).filter((e): e is [string, Job] => e[0].startsWith("aigw:"));
    expect(jobs.map(([name]) => name)).toEqual(["aigw:validate", "aigw:lint", "aigw:test", "aigw:plan"]);
    for (const [, job] of jobs) {
      expect(job.extends).toBe(".aigw");
      expect(stages).toContain(job.stage);
      expect(Array.isArray(job.script)).toBe(true);
    }
    const scripts = jobs.flatMap(([, j]) => j.script ?? []).join("\n");
    expect(scripts).toContain("aigw validate gateway.yaml");
    expect(scripts).toContain("aigw lint gateway.yaml --format sarif");
    expect(scripts).toContain("aigw test gateway.yaml tests/routing.yaml --fail-under 80 --format junit > aigw-test.xml");
    expect(scripts).toContain("--format markdown --detailed-exitcode > plan.md");
    expect(scripts).toContain("/notes");
    expect((ci["aigw:test"] as Job).artifacts?.reports?.junit).toBe("aigw-test.xml");
  });
});
