import { afterEach, describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../helpers/clocked-gateway.js";
import { closedPort, FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { until } from "../helpers/until.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fake(handler?: ConstructorParameters<typeof FakeUpstream>[0]): Promise<FakeUpstream> {
  const f = await new FakeUpstream(handler).start();
  cleanup.push(() => f.close());
  return f;
}

async function gateway(yaml: string, clock?: FakeClock): Promise<TestGateway> {
  const gw = await startTestGateway(yaml, { clock });
  cleanup.push(() => gw.close());
  return gw;
}

/** Whether `GET /admin/upstreams` reports the target at `url` healthy. */
async function targetHealthy(gw: TestGateway, url: string): Promise<boolean | undefined> {
  const state = (await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json()) as { upstreams: { targets: { url: string; healthy: boolean }[] }[] };
  return state.upstreams.flatMap((u) => u.targets).find((t) => t.url === url)?.healthy;
}

const ok = (name: string) => (_req: unknown, res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain", "x-served-by": name });
  res.end(name);
};

describe("faults", () => {
  it("one target refusing connections: no client error (retried on another target)", async () => {
    const good = await fake(ok("good"));
    const port = await closedPort();
    const gw = await gateway(`version: 1
upstreams:
  - name: svc
    type: http
    targets: [{ url: "http://127.0.0.1:${port}" }, { url: "${good.url}" }]
routes:
  - { name: all, upstream: svc }
`);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(`${gw.url}/x`).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(good.requests.length).toBe(40);
  });

  it("a POST whose body is still uploading gets the 502, not a reset; on a refused connection even a large streamed body is retried on the next target", async () => {
    const port = await closedPort();
    const good = await fake();
    const gw = await gateway(`version: 1
upstreams:
  - { name: down, type: http, targets: [{ url: "http://127.0.0.1:${port}" }], retries: { attempts: 0 } }
  - { name: mixed, type: http, targets: [{ url: "http://127.0.0.1:${port}" }, { url: "${good.url}" }] }
routes:
  - { name: a, match: { pathPrefix: /down }, upstream: down }
  - { name: b, match: { pathPrefix: /mixed }, upstream: mixed }
`);
    const r = await fetch(`${gw.url}/down/x`, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
    expect(r.status).toBe(502);
    const large = "y".repeat(3 * 1024 * 1024);
    for (let i = 0; i < 6; i++) expect((await fetch(`${gw.url}/mixed/x`, { method: "POST", body: i % 2 === 0 ? "small body" : large })).status).toBe(200);
    expect(good.requests.map((q) => q.body.length)).toEqual([10, large.length, 10, large.length, 10, large.length]);
  });

  it("a target cut mid-response: the client sees a clean error (no hang), and the breaker counts it", async () => {
    const cut = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: partial\n\n");
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const gw = await gateway(`version: 1
upstreams:
  - name: svc
    type: http
    targets: [{ url: "${cut.url}" }]
    circuitBreaker: { failureRatio: 0.5, minRequests: 3, windowMs: 10000, openMs: 60000 }
routes:
  - { name: all, upstream: svc }
`);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const outcome = await fetch(`${gw.url}/stream`).then(
        async (r) => {
          try {
            await r.text();
            return "complete";
          } catch {
            return "cut";
          }
        },
        () => "cut",
      );
      expect(outcome).toBe("cut");
      expect(Date.now() - started).toBeLessThan(3000);
    }
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`aigw_circuit_breaker_state{upstream="svc",target="${cut.url}"} 1`);
    const open = await fetch(`${gw.url}/stream`);
    expect(open.status).toBe(503);
    expect(((await open.json()) as { error: { code: string } }).error.code).toBe("no_healthy_target");
  });

  it("an always-503 primary with a healthy fallback answers 200 from the fallback", async () => {
    const broken = await fake((_req, res) => {
      res.writeHead(503);
      res.end("overloaded");
    });
    const backup = await fake(ok("backup"));
    const gw = await gateway(`version: 1
upstreams:
  - { name: primary, type: http, targets: [{ url: "${broken.url}" }] }
  - { name: secondary, type: http, targets: [{ url: "${backup.url}" }] }
routes:
  - { name: all, upstream: primary, fallback: [secondary] }
`);
    for (const method of ["GET", "POST"]) {
      const res = await fetch(`${gw.url}/work`, { method, body: method === "POST" ? JSON.stringify({ n: 1 }) : undefined });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-aigw-upstream")).toBe("secondary");
      expect(await res.text()).toBe("backup");
    }
    expect(backup.requests.at(-1)!.body).toBe('{"n":1}');
  });

  it("a breaker opens, then half-opens and closes after the target recovers", async () => {
    let healthy = false;
    const flaky = await fake((_req, res) => {
      res.writeHead(healthy ? 200 : 500);
      res.end(healthy ? "fine" : "broken");
    });
    const clock = fakeClock();
    const gw = await gateway(
      `version: 1
upstreams:
  - name: svc
    type: http
    targets: [{ url: "${flaky.url}" }]
    retries: { attempts: 0 }
    circuitBreaker: { failureRatio: 0.5, minRequests: 4, windowMs: 10000, openMs: 300, halfOpenRequests: 1 }
routes:
  - { name: all, upstream: svc }
`,
      clock,
    );
    for (let i = 0; i < 4; i++) expect((await fetch(`${gw.url}/x`)).status).toBe(500);
    const blocked = await fetch(`${gw.url}/x`);
    expect(blocked.status).toBe(503);
    const seen = flaky.requests.length;
    healthy = true;
    clock.advance(350); // past openMs
    expect((await fetch(`${gw.url}/x`)).status).toBe(200); // the half-open probe
    expect(flaky.requests.length).toBe(seen + 1);
    for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/x`)).status).toBe(200);
    const state = (await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json()) as { upstreams: { targets: { breaker: string }[] }[] };
    expect(state.upstreams[0]!.targets[0]!.breaker).toBe("closed");
  });

  it("active health checks take an unhealthy target out and bring it back", async () => {
    let bHealthy = true;
    const withHealth = (name: string, healthy: () => boolean) => (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      if (req.url !== "/health") return ok(name)(req, res);
      res.writeHead(healthy() ? 200 : 500);
      res.end();
    };
    const a = await fake(withHealth("a", () => true));
    const b = await fake(withHealth("b", () => bHealthy));
    const gw = await gateway(`version: 1
upstreams:
  - name: svc
    type: http
    targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
    healthCheck: { path: /health, intervalMs: 100, timeoutMs: 50, unhealthyThreshold: 2, healthyThreshold: 2 }
routes:
  - { name: all, upstream: svc }
`);
    // The checker probes on its own timer: wait for it to mark b, then look at the traffic.
    bHealthy = false;
    await until(async () => (await targetHealthy(gw, b.url)) === false, "b marked unhealthy");
    const bodies = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(`${gw.url}/x`)).text()));
    expect(new Set(bodies)).toEqual(new Set(["a"]));
    bHealthy = true;
    await until(async () => (await targetHealthy(gw, b.url)) === true, "b marked healthy again");
    const after = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(`${gw.url}/x`)).text()));
    expect(new Set(after)).toEqual(new Set(["a", "b"]));
  });
});

describe("balancing real traffic", () => {
  it("p2c_ewma sends less to a target made 10× slower", async () => {
    const delayed = (name: string, ms: number) => async (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      await new Promise((r) => setTimeout(r, ms));
      ok(name)(req, res);
    };
    const fast = await fake(delayed("fast", 5));
    const slow = await fake(delayed("slow", 50));
    const gw = await gateway(`version: 1
upstreams:
  - name: svc
    type: http
    balancer: p2c_ewma
    targets: [{ url: "${fast.url}" }, { url: "${slow.url}" }]
routes:
  - { name: all, upstream: svc }
`);
    for (let batch = 0; batch < 50; batch++) await Promise.all(Array.from({ length: 4 }, () => fetch(`${gw.url}/x`).then((r) => r.text())));
    expect(slow.requests.length).toBeLessThan(0.25 * 200);
    expect(fast.requests.length + slow.requests.length).toBe(200);
  });
});

describe("retry budget", () => {
  it("with 100% of a target failing, retries stay within budgetRatio of requests", async () => {
    const failing = await fake((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const gw = await gateway(`version: 1
upstreams:
  - name: svc
    type: http
    targets: [{ url: "${failing.url}" }]
    retries: { attempts: 3, on: [503], budgetRatio: 0.2 }
routes:
  - { name: all, upstream: svc }
`);
    for (let i = 0; i < 100; i++) expect((await fetch(`${gw.url}/x`)).status).toBe(503);
    const retries = failing.requests.length - 100;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(20);
  });
});

describe("traffic split", () => {
  it("a 90/10 canary holds within 3% over 1,000 requests, and sticky keeps each consumer on one side", async () => {
    const stable = await fake(ok("stable"));
    const canary = await fake(ok("canary"));
    const keys = Array.from({ length: 20 }, (_, i) => `sk-consumer-${i}-0123456789`);
    const { createHash } = await import("node:crypto");
    const gw = await gateway(`version: 1
auth:
  - name: keys
    type: apiKey
    keys:
${keys.map((k, i) => `      - { id: k${i}, consumer: c${i}, sha256: "${createHash("sha256").update(k).digest("hex")}" }`).join("\n")}
upstreams:
  - { name: stable, type: http, targets: [{ url: "${stable.url}" }] }
  - { name: canary, type: http, targets: [{ url: "${canary.url}" }] }
routes:
  - name: random
    match: { pathPrefix: /random }
    split: [{ upstream: stable, weight: 90 }, { upstream: canary, weight: 10 }]
  - name: sticky
    match: { pathPrefix: /sticky }
    auth: [keys]
    split: [{ upstream: stable, weight: 50 }, { upstream: canary, weight: 50 }]
    sticky: consumer
`);
    let canaryCount = 0;
    for (let batch = 0; batch < 10; batch++) {
      const bodies = await Promise.all(Array.from({ length: 100 }, async () => (await fetch(`${gw.url}/random`)).text()));
      canaryCount += bodies.filter((b) => b === "canary").length;
    }
    expect(Math.abs(canaryCount / 1000 - 0.1)).toBeLessThanOrEqual(0.03);
    const sides = new Map<string, Set<string>>();
    for (let round = 0; round < 5; round++) {
      for (const k of keys) {
        const body = await (await fetch(`${gw.url}/sticky`, { headers: { authorization: `Bearer ${k}` } })).text();
        sides.set(k, (sides.get(k) ?? new Set()).add(body));
      }
    }
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    const onCanary = [...sides.values()].filter((s) => s.has("canary")).length;
    expect(onCanary).toBeGreaterThan(2);
    expect(onCanary).toBeLessThan(18);
  });
});
