import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSnapshot } from "../../src/compile/build.js";
import { routeRow } from "../../src/cli/commands/routes.js";

/**
 * The compiled form of every shipped config, pinned: the canonical config
 * (every default filled, keys sorted, secrets redacted), its hash, and the
 * routing table in precedence order with each route's plugin plan. A change
 * to defaults, compilation or precedence shows up here as a diff to review.
 * Regenerate with `UPDATE_GOLDEN=1 npx vitest run test/config/golden.test.ts`.
 */

const root = join(import.meta.dirname, "..", "..");
const goldenDir = join(root, "test", "golden");
const configs = ["gateway.yaml", ...readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")).map((f) => `examples/${f}`)];

/** Every `${VAR}` a config names gets a fixed value, so the pinned form does not depend on the machine. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1]!] = /URL$/.test(m[1]!) ? `redis://golden-${m[1]!.toLowerCase()}:6379` : `golden-${m[1]!.toLowerCase()}`;
  return env;
}

describe.each(configs)("the compiled form of %s", (file) => {
  it("matches test/golden", () => {
    const text = readFileSync(join(root, file), "utf8");
    const result = buildSnapshot(text, file, { mode: "serve", env: envFor(text), fileExists: () => true });
    expect(result.diagnostics.filter((d) => d.severity === "error"), file).toEqual([]);
    const snapshot = result.snapshot!;
    const compiled = {
      hash: snapshot.hash,
      canonical: snapshot.canonical,
      routes: snapshot.router.ordered().map((r, i) => routeRow(r, i + 1, snapshot.config.gateway.plugins)),
    };
    const text2 = JSON.stringify(compiled, null, 2) + "\n";
    const path = join(goldenDir, `${basename(file, ".yaml")}.json`);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(path, text2);
    }
    expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(text2).toBe(readFileSync(path, "utf8"));
  });
});
