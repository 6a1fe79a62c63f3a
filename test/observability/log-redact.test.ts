import { describe, expect, it } from "vitest";
import { startTestGateway } from "../helpers/gateway.js";

describe("observability.logs.redact", () => {
  it("censors the configured headers and field paths in every line the stages write", async () => {
    const gw = await startTestGateway(`version: 1
observability: { logs: { redact: [x-team-secret, session.token] } }
upstreams: [{ name: m, type: mock }]
routes: [{ name: r, upstream: m }]
`);
    try {
      const logger = gw.gateway.current!.resources.logger;
      logger.warn({ headers: { "x-team-secret": "S-header" }, req: { headers: { "x-team-secret": "S-nested" } }, session: { token: "S-path", user: "kept" } }, "line");
      const line = gw.logs.find((l) => l.msg === "line")!;
      expect(JSON.stringify(line)).not.toMatch(/S-header|S-nested|S-path/);
      expect((line.session as { user: string }).user).toBe("kept");
    } finally {
      await gw.close();
    }
  });
});
