import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Generation } from "../../src/reload/generation.js";
import type { AssembledRoute } from "../../src/pipeline/types.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * A route's chain that ends as "answered" without sending anything (a
 * promise somewhere rejected without a reason: `done()` then reads as
 * success) is the gateway's failure: the client gets a 500 in the
 * documented shape instead of waiting for an answer that never comes.
 */
let up: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await new FakeUpstream().start();
  gw = await startTestGateway(`version: 1
upstreams: [{ name: plain, type: http, targets: [{ url: "${up.url}" }] }]
routes: [{ name: all, upstream: plain }]
`);
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe("a chain that ends without an answer", () => {
  it("answers 500 internal_error, logs it, and keeps serving", async () => {
    const generation = (gw.gateway as unknown as { generation: Generation }).generation;
    const route = generation.routes[0] as { -readonly [K in keyof AssembledRoute]: AssembledRoute[K] };
    const run = route.run;
    // A stage whose promise was rejected without a reason: done() with nothing sent.
    route.run = (_ctx, done) => void Promise.reject(undefined).catch(done);
    try {
      const res = await fetch(`${gw.url}/anything`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    } finally {
      route.run = run;
    }
    expect(gw.logs.some((l) => l.msg === "request failed inside the gateway")).toBe(true);
    expect((await fetch(`${gw.url}/anything`)).status).toBe(200);
  });
});
