import { describe, expect, it } from "vitest";
import { compileGlob, compileGlobs } from "../../src/compile/router/glob.js";
import { compileHost, normalizeHost } from "../../src/compile/router/host.js";
import { normalizePath, removeDotSegments } from "../../src/compile/router/path.js";
import type { MatchRequest } from "../../src/compile/route.js";
import type { Snapshot } from "../../src/compile/snapshot.js";
import { snapshotOf } from "../helpers/build.js";

/** A config with one mock upstream and the given `routes:` block (YAML flow or block lines). */
function config(routes: string): string {
  return `version: 1
upstreams:
  - { name: mock, type: mock }
  - { name: svc, type: http, targets: [{ url: "http://svc.internal:8080" }] }
routes:
${routes}`;
}

interface Req {
  method?: string;
  path: string;
  host?: string;
  headers?: Record<string, string>;
  model?: string;
}

/** The name of the route the compiled router picks, or null; the path and host are normalised as the server does. */
function routeFor(snapshot: Snapshot, req: Req): string | null {
  const normalized = normalizePath(req.path);
  if (!normalized.ok) throw new Error(`bad path in test: ${req.path}`);
  const headers = req.headers ?? {};
  const match: MatchRequest = {
    method: req.method ?? "GET",
    path: normalized.path,
    host: normalizeHost(req.host),
    header: (name) => headers[name],
    model: req.model,
  };
  return snapshot.router.match(match)?.name ?? null;
}

describe("normalizePath", () => {
  describe("RFC 3986 5.2.4 dot-segment removal", () => {
    it.each([
      ["/a/b/c/./../../g", "/a/g"],
      ["/mid/content=5/../6", "/mid/6"],
      ["/..", "/"],
      ["/.", "/"],
      ["/a/..", "/"],
      ["/a/.", "/a/"],
      ["/a/b/.", "/a/b/"],
      ["/a/b/..", "/a/"],
      ["/a/./b", "/a/b"],
      ["/a/../b", "/b"],
      ["/../../a", "/a"],
      ["/a/b/../../..", "/"],
      ["/./a/./b/./", "/a/b/"],
      ["/a/.b/..c/...", "/a/.b/..c/..."],
      ["/a//b/../c", "/a/c"], // repeated slashes are merged first
      ["/v1/chat/completions", "/v1/chat/completions"],
      ["/", "/"],
    ])("%s → %s", (raw, expected) => {
      expect(normalizePath(raw)).toEqual({ ok: true, path: expected });
    });

    it("removeDotSegments agrees on already-decoded paths", () => {
      expect(removeDotSegments("/a/b/c/./../../g")).toBe("/a/g");
      expect(removeDotSegments("/mid/content=5/../6")).toBe("/mid/6");
    });
  });

  describe("percent-encoding", () => {
    it.each([
      ["/%7Euser", "/~user"],
      ["/%7euser", "/~user"],
      ["/%41%42c", "/ABc"],
      ["/a%2Db%5Fc%2Ed", "/a-b_c.d"],
      ["/a/%2E%2E/b", "/b"],
      ["/a/%2e%2e/b", "/b"],
      ["/a/.%2E/b", "/b"],
      ["/a/%2E/b", "/a/b"],
      ["/a/b/%2E%2E", "/a/"],
      ["/x%3ay", "/x%3Ay"],
      ["/x%3Ay", "/x%3Ay"],
      ["/caf%c3%a9", "/caf%C3%A9"],
      ["/sp%20ace", "/sp%20ace"],
      ["/pct%25", "/pct%25"],
      ["/pct%252F", "/pct%252F"],
      ["/q%3f", "/q%3F"],
    ])("%s → %s", (raw, expected) => {
      expect(normalizePath(raw)).toEqual({ ok: true, path: expected });
    });
  });

  describe("400 cases", () => {
    it.each([
      ["encoded slash %2F", "/a%2Fb"],
      ["encoded slash %2f", "/a%2fb"],
      ["encoded slash in a dot segment", "/a/..%2Fetc"],
      ["encoded backslash %5C", "/a%5Cb"],
      ["encoded backslash %5c", "/a%5cb"],
      ["raw backslash", "/a\\b"],
      ["raw backslash as a segment separator", "/a\\..\\b"],
      ["raw NUL", "/a\u0000b"],
      ["encoded NUL", "/a%00b"],
      ["malformed escape %zz", "/a%zzb"],
      ["malformed escape %g1", "/a%g1"],
      ["truncated escape at the end", "/a%4"],
      ["lone percent at the end", "/a%"],
      ["relative path", "a/b"],
      ["empty path", ""],
      ["dot path", "./a"],
      ["asterisk form", "*"],
    ])("%s (%j)", (_label, raw) => {
      const r = normalizePath(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/\S/);
    });
  });
});

describe("pathPrefix at segment boundaries", () => {
  const cases: [string, boolean][] = [
    ["/v1/api", true],
    ["/v1/api/", true],
    ["/v1/api/x", true],
    ["/v1/api/x/y", true],
    ["/v1/apix", false],
    ["/v1/ap", false],
    ["/v1", false],
    ["/v1/API", false],
    ["/v2/api", false],
    ["/v1/x/../api/y", true],
  ];

  for (const prefix of ["/v1/api", "/v1/api/"]) {
    describe(`prefix ${prefix}`, () => {
      const snapshot = snapshotOf(config(`  - { name: api, match: { pathPrefix: "${prefix}" }, upstream: svc }\n`));
      it.each(cases)("%s → %s", (path, takes) => {
        expect(routeFor(snapshot, { path })).toBe(takes ? "api" : null);
      });
    });
  }

  describe("prefix /", () => {
    const snapshot = snapshotOf(config(`  - { name: all, match: { pathPrefix: / }, upstream: svc }\n`));
    it.each(["/", "/a", "/a/b/c", "/v1/apix", "/%7E"])("takes %s", (path) => {
      expect(routeFor(snapshot, { path })).toBe("all");
    });
  });

  it("a route without path or pathPrefix takes every path", () => {
    const snapshot = snapshotOf(config(`  - { name: any, upstream: svc }\n`));
    expect(routeFor(snapshot, { path: "/" })).toBe("any");
    expect(routeFor(snapshot, { path: "/deep/path/here" })).toBe("any");
  });

  it("an exact path takes only that path", () => {
    const snapshot = snapshotOf(config(`  - { name: exact, match: { path: /v1/models }, upstream: svc }\n`));
    expect(routeFor(snapshot, { path: "/v1/models" })).toBe("exact");
    expect(routeFor(snapshot, { path: "/v1/./models" })).toBe("exact");
    expect(routeFor(snapshot, { path: "/v1/models/x" })).toBeNull();
    expect(routeFor(snapshot, { path: "/v1/model" })).toBeNull();
    expect(routeFor(snapshot, { path: "/v1/modelsx" })).toBeNull();
  });
});

describe("host patterns", () => {
  describe("compileHost against normalised hosts", () => {
    const table: [string, string, boolean][] = [
      ["api.example.com", "api.example.com", true],
      ["api.example.com", "API.Example.COM", true],
      ["api.example.com", "api.example.com:8443", true],
      ["api.example.com", "api.example.com.", true],
      ["api.example.com", "www.example.com", false],
      ["api.example.com", "api.example.com.evil.net", false],
      ["API.Example.com", "api.example.com", true],
      ["*.example.com", "api.example.com", true],
      ["*.example.com", "a.b.example.com", true],
      ["*.example.com", "API.EXAMPLE.COM:443", true],
      ["*.example.com", "example.com", false],
      ["*.example.com", "badexample.com", false],
      ["*.example.com", "example.com.evil.net", false],
      ["*.Example.COM", "x.example.com", true],
      ["api.*", "api.example.com", true],
      ["api.*", "api.internal", true],
      ["api.*", "API.example.com:8080", true],
      ["api.*", "api", false],
      ["api.*", "apix.example.com", false],
      ["api.*", "www.api.example.com", false],
      ["*", "anything.example", true],
      ["*", "", true],
      ["*", "[::1]:80", true],
    ];
    it.each(table)("%s vs %s → %s", (pattern, host, expected) => {
      expect(compileHost(pattern).test(normalizeHost(host))).toBe(expected);
    });
  });

  describe("normalizeHost", () => {
    it.each([
      ["Example.COM:8080", "example.com"],
      ["example.com", "example.com"],
      ["example.com.", "example.com"],
      ["EXAMPLE.com.:443", "example.com"],
      ["[::1]:80", "::1"],
      ["[::1]", "::1"],
      ["[2001:DB8::1]:443", "2001:db8::1"],
      ["::1", "::1"],
      ["10.0.0.1:9000", "10.0.0.1"],
      ["", ""],
    ])("%j → %j", (raw, expected) => {
      expect(normalizeHost(raw)).toBe(expected);
    });
    it("undefined → empty", () => {
      expect(normalizeHost(undefined)).toBe("");
    });
  });

  it("a host condition in the routing table is case- and port-insensitive", () => {
    const snapshot = snapshotOf(
      config(`  - { name: wild, match: { pathPrefix: /, host: "*.example.com" }, upstream: svc }
  - { name: api, match: { pathPrefix: /, host: "api.*" }, upstream: svc }
  - { name: fallback, upstream: svc }
`),
    );
    expect(routeFor(snapshot, { path: "/x", host: "Docs.Example.com:8443" })).toBe("wild");
    expect(routeFor(snapshot, { path: "/x", host: "api.internal" })).toBe("api");
    expect(routeFor(snapshot, { path: "/x", host: "example.com" })).toBe("fallback");
    expect(routeFor(snapshot, { path: "/x" })).toBe("fallback");
  });
});

describe("globs", () => {
  const table: [string, string, boolean][] = [
    ["gpt-*", "gpt-4o", true],
    ["gpt-*", "gpt-", true],
    ["gpt-*", "gpt-4o-mini-2024", true],
    ["gpt-*", "gpt4o", false],
    ["gpt-*", "xgpt-4o", false],
    ["gpt-*", "GPT-4o", false],
    ["claude-3-?-x", "claude-3-a-x", true],
    ["claude-3-?-x", "claude-3-5-x", true],
    ["claude-3-?-x", "claude-3--x", false],
    ["claude-3-?-x", "claude-3-ab-x", false],
    ["claude-3-?-x", "claude-3-a-xy", false],
    ["gpt-4o", "gpt-4o", true],
    ["gpt-4o", "gpt-4o-mini", false],
    ["gpt-4o", "gpt-4", false],
    ["*", "", true],
    ["*", "anything at all", true],
    ["*-mini", "gpt-4o-mini", true],
    ["*-mini", "gpt-4o-mini-2", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "acb", false],
    ["?", "x", true],
    ["?", "", false],
    ["?", "xy", false],
    ["*", "multi\nline", true],
    ["a*", "a\nb", true],
    ["a?b", "a\nb", true],
    // Regex metacharacters are literal.
    ["gpt.4*", "gpt.4o", true],
    ["gpt.4*", "gptx4o", false],
    ["a+b?", "a+bc", true],
    ["a+b?", "aab", false],
    ["(x)*", "(x)yz", true],
    ["(x)*", "x", false],
    ["[abc]-?", "[abc]-1", true],
    ["[abc]-?", "a-1", false],
    ["^start$*", "^start$end", true],
    ["^start$*", "start", false],
    ["x|y*", "x|yz", true],
    ["x|y*", "x", false],
    ["a{2}?", "a{2}b", true],
    ["a{2}?", "aab", false],
    ["back\\slash*", "back\\slash!", true],
    ["back\\slash*", "backslash!", false],
    ["sl/ash?", "sl/ash1", true],
  ];
  it.each(table)("%j vs %j → %s", (pattern, value, expected) => {
    expect(compileGlob(pattern).test(value)).toBe(expected);
  });

  it("records the literal prefix before the first wildcard", () => {
    expect(compileGlob("gpt-4o*").literalPrefix).toBe("gpt-4o");
    expect(compileGlob("claude-3-?-x").literalPrefix).toBe("claude-3-");
    expect(compileGlob("gpt-4o").literalPrefix).toBe("gpt-4o");
    expect(compileGlob("*").literalPrefix).toBe("");
  });

  it("compileGlobs matches any of its patterns", () => {
    const g = compileGlobs(["gpt-*", "claude-?"]);
    expect(g.test("gpt-4o")).toBe(true);
    expect(g.test("claude-3")).toBe(true);
    expect(g.test("claude-35")).toBe(false);
    expect(g.test("llama")).toBe(false);
  });
});

describe("route precedence", () => {
  it("an exact path beats a prefix regardless of file order", () => {
    for (const routes of [
      `  - { name: prefix, match: { pathPrefix: /v1/chat }, upstream: svc }
  - { name: exact, match: { path: /v1/chat/completions }, upstream: svc }
`,
      `  - { name: exact, match: { path: /v1/chat/completions }, upstream: svc }
  - { name: prefix, match: { pathPrefix: /v1/chat }, upstream: svc }
`,
    ]) {
      const snapshot = snapshotOf(config(routes));
      expect(routeFor(snapshot, { path: "/v1/chat/completions" })).toBe("exact");
      expect(routeFor(snapshot, { path: "/v1/chat/other" })).toBe("prefix");
    }
  });

  it("an exact path beats even a longer, deeper prefix written first", () => {
    const snapshot = snapshotOf(
      config(`  - { name: deep, match: { pathPrefix: /a/b/c }, upstream: svc }
  - { name: exact, match: { path: /a/b/c }, upstream: svc }
`),
    );
    expect(routeFor(snapshot, { path: "/a/b/c" })).toBe("exact");
    expect(routeFor(snapshot, { path: "/a/b/c/d" })).toBe("deep");
  });

  it("a longer prefix beats a shorter one regardless of file order", () => {
    for (const routes of [
      `  - { name: short, match: { pathPrefix: /v1 }, upstream: svc }
  - { name: long, match: { pathPrefix: /v1/chat }, upstream: svc }
  - { name: root, match: { pathPrefix: / }, upstream: svc }
`,
      `  - { name: root, match: { pathPrefix: / }, upstream: svc }
  - { name: long, match: { pathPrefix: /v1/chat }, upstream: svc }
  - { name: short, match: { pathPrefix: /v1 }, upstream: svc }
`,
    ]) {
      const snapshot = snapshotOf(config(routes));
      expect(routeFor(snapshot, { path: "/v1/chat/x" })).toBe("long");
      expect(routeFor(snapshot, { path: "/v1/chat" })).toBe("long");
      expect(routeFor(snapshot, { path: "/v1/chatty" })).toBe("short");
      expect(routeFor(snapshot, { path: "/v1" })).toBe("short");
      expect(routeFor(snapshot, { path: "/v2" })).toBe("root");
    }
  });

  it("among routes of the same path, the first in file order whose conditions hold wins", () => {
    const snapshot = snapshotOf(
      config(`  - { name: post-gpt, match: { path: /v1/chat/completions, methods: [POST], model: "gpt-*" }, upstream: mock }
  - { name: post-any-a, match: { path: /v1/chat/completions, methods: [POST] }, upstream: mock }
  - { name: post-any-b, match: { path: /v1/chat/completions, methods: [POST] }, upstream: mock }
  - { name: get, match: { path: /v1/chat/completions, methods: [GET] }, upstream: mock }
`),
    );
    expect(routeFor(snapshot, { method: "POST", path: "/v1/chat/completions", model: "gpt-4o" })).toBe("post-gpt");
    expect(routeFor(snapshot, { method: "POST", path: "/v1/chat/completions", model: "claude" })).toBe("post-any-a");
    expect(routeFor(snapshot, { method: "POST", path: "/v1/chat/completions" })).toBe("post-any-a");
    expect(routeFor(snapshot, { method: "GET", path: "/v1/chat/completions" })).toBe("get");
    expect(routeFor(snapshot, { method: "DELETE", path: "/v1/chat/completions" })).toBeNull();
  });

  it("same prefix written with and without a trailing slash is one path: file order decides", () => {
    const snapshot = snapshotOf(
      config(`  - { name: first, match: { pathPrefix: /api/, headers: { x-a: "1" } }, upstream: svc }
  - { name: second, match: { pathPrefix: /api }, upstream: svc }
  - { name: third, match: { pathPrefix: /api/ }, upstream: svc }
`),
    );
    expect(routeFor(snapshot, { path: "/api/x", headers: { "x-a": "1" } })).toBe("first");
    expect(routeFor(snapshot, { path: "/api/x" })).toBe("second");
  });

  it("a failing condition passes the request on, down to a shorter prefix", () => {
    const snapshot = snapshotOf(
      config(`  - { name: exact-post, match: { path: /v1/chat/completions, methods: [POST] }, upstream: svc }
  - { name: chat-beta, match: { pathPrefix: /v1/chat, headers: { x-beta: "on" } }, upstream: svc }
  - { name: chat-host, match: { pathPrefix: /v1/chat, host: "*.example.com" }, upstream: svc }
  - { name: v1-get, match: { pathPrefix: /v1, methods: [GET] }, upstream: svc }
  - { name: root, match: { pathPrefix: / } , upstream: svc }
`),
    );
    const path = "/v1/chat/completions";
    expect(routeFor(snapshot, { method: "POST", path })).toBe("exact-post");
    expect(routeFor(snapshot, { method: "GET", path, headers: { "x-beta": "on" } })).toBe("chat-beta");
    expect(routeFor(snapshot, { method: "GET", path, headers: { "x-beta": "off" }, host: "a.example.com" })).toBe("chat-host");
    expect(routeFor(snapshot, { method: "GET", path })).toBe("v1-get");
    expect(routeFor(snapshot, { method: "PUT", path })).toBe("root");
    expect(routeFor(snapshot, { method: "PUT", path: "/v1/other" })).toBe("root");
  });

  it("with no route left, the request has no route (404)", () => {
    const snapshot = snapshotOf(
      config(`  - { name: only-post, match: { pathPrefix: /v1, methods: [POST] }, upstream: svc }
`),
    );
    expect(routeFor(snapshot, { method: "GET", path: "/v1/x" })).toBeNull();
    expect(routeFor(snapshot, { method: "POST", path: "/v2/x" })).toBeNull();
  });

  it("header conditions are globs; `*` means present", () => {
    const snapshot = snapshotOf(
      config(`  - { name: tenant, match: { pathPrefix: /t, headers: { X-Tenant: "*" } }, upstream: svc }
  - { name: version, match: { pathPrefix: /t, headers: { x-version: "2.*" } }, upstream: svc }
  - { name: other, match: { pathPrefix: /t }, upstream: svc }
`),
    );
    expect(routeFor(snapshot, { path: "/t/1", headers: { "x-tenant": "" } })).toBe("tenant");
    expect(routeFor(snapshot, { path: "/t/1", headers: { "x-tenant": "acme" } })).toBe("tenant");
    expect(routeFor(snapshot, { path: "/t/1", headers: { "x-version": "2.1" } })).toBe("version");
    expect(routeFor(snapshot, { path: "/t/1", headers: { "x-version": "3.0" } })).toBe("other");
  });

  it("the candidates of a path are only the routes that cover it, in precedence order", () => {
    const snapshot = snapshotOf(
      config(`  - { name: root, match: { pathPrefix: / }, upstream: svc }
  - { name: v1, match: { pathPrefix: /v1 }, upstream: svc }
  - { name: exact, match: { path: /v1/a/b }, upstream: svc }
  - { name: v1a, match: { pathPrefix: /v1/a }, upstream: svc }
  - { name: unrelated, match: { pathPrefix: /v2 }, upstream: svc }
`),
    );
    expect(snapshot.router.candidates("/v1/a/b").routes.map((r) => r.name)).toEqual(["exact", "v1a", "v1", "root"]);
    expect(snapshot.router.candidates("/v1/a/c").routes.map((r) => r.name)).toEqual(["v1a", "v1", "root"]);
    expect(snapshot.router.candidates("/v3").routes.map((r) => r.name)).toEqual(["root"]);
  });

  describe("5,000 routes", () => {
    const n = 5000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      // Every tenth route is an exact path; the others are prefixes. Written in reverse
      // so that file order and precedence disagree.
      const j = n - 1 - i;
      if (j % 10 === 0) lines.push(`  - { name: exact-${j}, match: { path: /svc/${j}/op, methods: [POST] }, upstream: svc }`);
      else lines.push(`  - { name: prefix-${j}, match: { pathPrefix: /svc/${j} }, upstream: svc }`);
    }
    lines.push(`  - { name: svc-any, match: { pathPrefix: /svc }, upstream: svc }`);
    const snapshot = snapshotOf(config(lines.join("\n") + "\n"));

    it("compiles every route", () => {
      expect(snapshot.routes).toHaveLength(n + 1);
    });

    it.each([
      [{ path: "/svc/4321/x" }, "prefix-4321"],
      [{ path: "/svc/4321" }, "prefix-4321"],
      [{ path: "/svc/1/a/b/c" }, "prefix-1"],
      [{ path: "/svc/4999/" }, "prefix-4999"],
      [{ path: "/svc/4990/op", method: "POST" }, "exact-4990"],
      [{ path: "/svc/4990/op", method: "GET" }, "svc-any"],
      [{ path: "/svc/0/op", method: "POST" }, "exact-0"],
      [{ path: "/svc/43210" }, "svc-any"],
      [{ path: "/svc" }, "svc-any"],
      [{ path: "/other" }, null],
    ] as [Req, string | null][])("%j → %s", (req, expected) => {
      expect(routeFor(snapshot, req)).toBe(expected);
    });

    it("a lookup sees only the routes covering the path, not all 5,000", () => {
      expect(snapshot.router.candidates("/svc/4321/x").routes.map((r) => r.name)).toEqual(["prefix-4321", "svc-any"]);
      expect(snapshot.router.candidates("/svc/4990/op").routes.map((r) => r.name)).toEqual(["exact-4990", "svc-any"]);
      expect(snapshot.router.candidates("/other").routes).toHaveLength(0);
    });
  });
});

describe("route paths written with escapes", () => {
  // Requests are normalised before matching (percent-encoded unreserved characters
  // decoded, other escapes upper-cased), but route paths in the file are not: a
  // route whose path holds such an escape can never match any request.
  it("a pathPrefix with an encoded unreserved character matches the request that spells it the same way", () => {
    const snapshot = snapshotOf(config(`  - { name: home, match: { pathPrefix: /files/%7Eadmin }, upstream: svc }\n`));
    expect(routeFor(snapshot, { path: "/files/%7Eadmin/x" })).toBe("home");
  });

  it("an exact path with a lower-case escape matches the request that spells it the same way", () => {
    const snapshot = snapshotOf(config(`  - { name: cafe, match: { path: /caf%c3%a9 }, upstream: svc }\n`));
    expect(routeFor(snapshot, { path: "/caf%c3%a9" })).toBe("cafe");
  });
});
