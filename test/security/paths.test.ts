import { createHash } from "node:crypto";
import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { snapshotOf } from "../helpers/build.js";

/**
 * Issue 23, item 7: one canonical path. The path the router matches is the
 * path the upstream gets, so a path that reads as another route's to a
 * lenient server (merged slashes, `;` parameters) can never slip past that
 * route's auth through a public route.
 */

const KEY = "sk-paths-key-000000000001";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

/** A raw request: the path goes on the wire exactly as given. */
function send(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; route: string | undefined; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: "GET", path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, route: res.headers["x-aigw-route"] as string | undefined, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const routesYaml = (publicUrl: string, internalUrl: string) => `
upstreams:
  - { name: public, type: http, targets: [{ url: "${publicUrl}" }] }
  - { name: internal, type: http, targets: [{ url: "${internalUrl}" }] }
routes:
  - { name: internal, match: { pathPrefix: /internal }, auth: [keys], upstream: internal }
  - { name: chat, match: { path: /v1/chat/completions }, upstream: public }
  - { name: ab, match: { pathPrefix: /a/b }, upstream: public }
  - { name: site, match: { pathPrefix: / }, upstream: public }
`;

let publicUp: FakeUpstream;
let internalUp: FakeUpstream;
let strict: TestGateway;
let lenient: TestGateway;

beforeAll(async () => {
  publicUp = await new FakeUpstream().start();
  internalUp = await new FakeUpstream().start();
  const auth = `version: 1
auth:
  - { name: keys, type: apiKey, keys: [{ id: k, consumer: c, sha256: "${sha(KEY)}" }] }
`;
  strict = await startTestGateway(auth + routesYaml(publicUp.url, internalUp.url));
  lenient = await startTestGateway(
    auth +
      routesYaml(publicUp.url, internalUp.url) +
      `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  paths: { allowSemicolon: true }
  shutdown: { drainDelayMs: 0, graceMs: 2000 }
`,
  );
});

afterAll(async () => {
  await Promise.all([strict?.close(), lenient?.close()]);
  await Promise.all([publicUp?.close(), internalUp?.close()]);
});

describe("the reproductions", () => {
  it.each(["//internal/x", "///internal//x", "/x/..//internal/x", "/.//internal/x"])("%s is the protected route's (401), and never reaches the public upstream", async (path) => {
    const before = publicUp.requests.length;
    const res = await send(strict.url, path);
    expect(res.status).toBe(401);
    expect(res.route).toBe("internal");
    expect(publicUp.requests.length).toBe(before);
  });

  it("with credentials, the upstream gets the merged path", async () => {
    const res = await send(strict.url, "//internal//x", { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
    expect(internalUp.last.url).toBe("/internal/x");
  });

  it.each(["/internal;a/x", "/internal%3Ba/x", "/internal%3ba/x", "/;/internal/x"])("%s answers 400 invalid_path by default", async (path) => {
    const before = publicUp.requests.length + internalUp.requests.length;
    const res = await send(strict.url, path);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "invalid_path" } });
    expect(publicUp.requests.length + internalUp.requests.length).toBe(before);
  });

  it("server.paths.allowSemicolon: true lets `;` through, forwarded as matched", async () => {
    const res = await send(lenient.url, "/files;v=2/x");
    expect(res.status).toBe(200);
    expect(publicUp.last.url).toBe("/files;v=2/x");
  });
});

/** What a lenient upstream server makes of a path: slashes merged, `;` parameters dropped, escapes decoded, dot segments removed. */
function lenientServer(path: string): string {
  let p = path.replace(/;[^/]*/g, "");
  p = p.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  p = p.replace(/\/{2,}/g, "/");
  const out: string[] = [];
  for (const seg of p.split("/").slice(1)) {
    if (seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

const pathArb = fc
  .array(fc.constantFrom("/", "//", "internal", "a", "b", "v1", "chat", "completions", ".", "..", "%2e", "%2E%2e", "%41", "%2F", "%5C", ";", "%3B", "x", "-", "~", "%20", "%25"), { minLength: 1, maxLength: 12 })
  .map((parts) => "/" + parts.join(""));

describe("one canonical path (property, against a real gateway)", () => {
  const snapshot = snapshotOf(`version: 1
auth:
  - { name: keys, type: apiKey, keys: [{ id: k, consumer: c, sha256: "${sha(KEY)}" }] }
${routesYaml("http://127.0.0.1:1", "http://127.0.0.1:2")}`);
  const routeOf = (path: string): string | undefined => snapshot.router.match({ method: "GET", path, host: "", header: () => undefined, model: undefined })?.name;

  it("the route picked for the raw path is the route a lenient upstream's reading of the forwarded path belongs to", async () => {
    await fc.assert(
      fc.asyncProperty(pathArb, async (raw) => {
        const before = publicUp.requests.length;
        const res = await send(strict.url, raw, { authorization: `Bearer ${KEY}` });
        if (res.status === 400) return; // refused: nothing was forwarded
        expect(res.status).toBe(200);
        const forwarded = res.route === "internal" ? internalUp.last.url : publicUp.requests[before]!.url;
        // The router reads the forwarded path as the raw one, and so does a lenient server.
        expect(routeOf(forwarded)).toBe(res.route);
        expect(routeOf(lenientServer(forwarded))).toBe(res.route);
        expect(snapshot.router.normalize(forwarded)).toEqual({ ok: true, path: forwarded });
      }),
      { numRuns: 400 },
    );
  });
});
