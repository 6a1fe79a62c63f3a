import { describe, expect, it } from "vitest";
import { warnRetiredEnv } from "../../src/cli/commands/serve.js";

function logger() {
  const warnings: { fields: object; message: string }[] = [];
  return { warnings, warn: (fields: object, message: string) => void warnings.push({ fields, message }) };
}

describe("serve: environment variables no longer read", () => {
  it("says how to get a young-generation cap when AIGW_MAX_SEMI_SPACE_MB is still set", () => {
    const log = logger();
    warnRetiredEnv({ AIGW_MAX_SEMI_SPACE_MB: "4" }, log);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.message).toContain("NODE_OPTIONS=--max-semi-space-size");
  });

  it("says nothing when it is not set", () => {
    const log = logger();
    warnRetiredEnv({ PATH: "/usr/bin" }, log);
    expect(log.warnings).toHaveLength(0);
  });
});
