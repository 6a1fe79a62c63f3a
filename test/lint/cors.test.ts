/**
 * `cors` with any origin and credentials (issue 23, item 13). Browsers refuse
 * `Access-Control-Allow-Origin: *` with credentials, so a gateway asked for
 * both is tempted to echo the caller's Origin instead, which lets every web
 * site send the signed-in user's cookies and read the answers. Lint reports
 * the config as an error; at run time an origin that only an any-origin
 * pattern admits never gets `Access-Control-Allow-Credentials`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { runCli } from "../helpers/io.js";

interface Finding {
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
}

const RULE = "plugin.cors.credentials-any-origin";

async function lintFindings(text: string): Promise<{ code: number; findings: Finding[] }> {
  const r = await runCli(["lint", "gateway.yaml", "--format", "json"], { files: { "gateway.yaml": text } });
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}

function position(text: string, needle: string, from = 0): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle, from)).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe("lint: cors with any origin and credentials", () => {
  const config = (gatewayOrigins: string, routeOrigins: string, credentials = true): string => `version: 1
upstreams: [{ name: svc, type: http, targets: [{ url: "http://svc.internal:8080" }] }]
gateway:
  plugins:
    - { name: cors, config: { origins: ${gatewayOrigins}, credentials: ${credentials} } }
routes:
  - name: api
    match: { pathPrefix: /api }
    upstream: svc
    plugins:
      - name: cors
        config: { origins: ${routeOrigins}, credentials: ${credentials} }
`;

  it("is an error at the origin, gateway and route level, in every form of `any`", async () => {
    const text = config('["*"]', '["https://app.example.com", "https://*", "null"]');
    const { code, findings } = await lintFindings(text);
    expect(code).toBe(1);
    const ours = findings.filter((f) => f.rule === RULE);
    expect(ours.map((f) => ({ severity: f.severity, line: f.line, column: f.column }))).toEqual([
      { severity: "error", ...position(text, '"*"') },
      { severity: "error", ...position(text, '"https://*"') },
      { severity: "error", ...position(text, '"null"') },
    ]);
    expect(ours[0]!.message).toBe('gateway plugin "cors" allows any origin ("*") with credentials: browsers refuse it, and echoing the Origin instead would let every site act as the signed-in user');
    expect(ours[1]!.message).toContain('route "api" plugin "cors" allows any origin ("https://*") with credentials');
    expect(ours[2]!.message).toContain('route "api" plugin "cors" allows the "null" origin with credentials');
  });

  it("is quiet for any origin without credentials, and for listed origins with them", async () => {
    expect((await lintFindings(config('["*"]', '["*"]', false))).findings.filter((f) => f.rule === RULE)).toEqual([]);
    const listed = await lintFindings(config('["https://app.example.com"]', '["https://*.tools.example.com"]'));
    expect(listed.findings.filter((f) => f.rule === RULE)).toEqual([]);
  });

  it("can be turned off like every rule", async () => {
    const text = `${config('["*"]', '["*"]')}lint: { rules: { ${RULE}: off } }\n`;
    expect((await lintFindings(text)).findings.filter((f) => f.rule === RULE)).toEqual([]);
  });
});

describe("the cors plugin never reflects an arbitrary origin with credentials", () => {
  const gateways: TestGateway[] = [];
  const upstreams: FakeUpstream[] = [];
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.close();
    for (const up of upstreams.splice(0)) await up.close();
  });

  async function start(origins: string): Promise<string> {
    const up = await new FakeUpstream().start();
    upstreams.push(up);
    const gw = await startTestGateway(`version: 1
upstreams: [{ name: svc, type: http, targets: [{ url: "${up.url}" }] }]
routes:
  - name: api
    upstream: svc
    plugins: [{ name: cors, config: { origins: ${origins}, credentials: true, methods: [GET, POST] } }]
`);
    gateways.push(gw);
    return gw.url;
  }

  it("an attacker's origin gets `*` and no credentials, on answers and on preflights", async () => {
    const url = await start('["*"]');
    const evil = "https://evil.example";
    const res = await fetch(`${url}/account`, { headers: { origin: evil, cookie: "session=victim" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    const preflight = await fetch(`${url}/account`, { method: "OPTIONS", headers: { origin: evil, "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    // `Origin: null` (sandboxed frames of any site) is no better.
    const sandboxed = await fetch(`${url}/account`, { headers: { origin: "null" } });
    expect(sandboxed.headers.get("access-control-allow-origin")).toBe("*");
    expect(sandboxed.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a listed origin beside `*` keeps its credentials; host wildcards such as https://* count as any", async () => {
    const url = await start('["https://app.example.com", "https://*"]');
    const app = await fetch(`${url}/account`, { headers: { origin: "https://app.example.com" } });
    expect(app.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(app.headers.get("access-control-allow-credentials")).toBe("true");
    expect(app.headers.get("vary")).toContain("Origin");
    const other = await fetch(`${url}/account`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-credentials")).toBeNull();
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    expect(other.headers.get("vary")).toContain("Origin");
  });
});
