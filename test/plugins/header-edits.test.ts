import { describe, expect, it } from "vitest";
import { compileHeaderEdits } from "../../src/plugins/builtin/headers.js";
import { applyHeaderRules } from "../../src/pipeline/headers.js";
import type { PluginCall } from "../../src/plugins/instance.js";

const call = { route: "chat", requestId: "r-1", consumer: "team-a" } as unknown as PluginCall;

describe("header edits without delete", () => {
  it("copies the map when a header to remove is there, edits in place otherwise, same result either way", () => {
    const edit = compileHeaderEdits({ set: { "x-route": "${route}", "x-gone": "" }, add: { vary: "Origin" }, remove: ["Server"] }, true);
    const untouched = { "content-type": "application/json" };
    expect(edit(untouched, call)).toBe(untouched);
    expect(untouched).toEqual({ "content-type": "application/json", "x-route": "chat", vary: "Origin" });

    const withServer = { "content-type": "application/json", server: "up", "x-gone": "client", vary: "Accept" };
    const out = edit(withServer, call);
    expect(out).not.toBe(withServer);
    expect(out).toEqual({ "content-type": "application/json", "x-route": "chat", vary: ["Accept", "Origin"] });

    // In place (request side): the same edits by delete.
    const inPlace = compileHeaderEdits({ set: { "x-gone": "" }, remove: ["server"] });
    const req: Record<string, string> = { server: "x", "x-gone": "y", a: "b" };
    expect(inPlace(req, call)).toBe(req);
    expect(req).toEqual({ a: "b" });
  });

  it("a header set to nothing and added again starts afresh (as delete then add did)", () => {
    const edit = compileHeaderEdits({ set: { "x-team": "" }, add: { "x-team": "platform" } }, true);
    expect(edit({ "x-team": "client" }, call)).toEqual({ "x-team": "platform" });
  });

  it("applyHeaderRules returns a copy without the removed headers, or the same map", () => {
    const same = { a: "1" };
    expect(applyHeaderRules(same, { remove: ["X-Powered-By"] })).toBe(same);
    const h = { a: "1", "x-powered-by": "php" };
    const out = applyHeaderRules(h, { set: { B: "2" }, add: { a: "3" }, remove: ["X-Powered-By"] });
    expect(out).toEqual({ a: ["1", "3"], b: "2" });
    expect(applyHeaderRules(h, null)).toBe(h);
  });
});
