import { compileGlobs } from "../../compile/router/glob.js";
import { parseDuration } from "../../config/duration.js";
import { clip } from "../../errors/clip.js";
import { HttpError } from "../../errors/http.js";
import type { BuiltinPlugin } from "../instance.js";
import { isAnyOrigin } from "./cors-origins.js";

interface CorsConfig {
  origins: string[];
  methods?: string[];
  headers?: string[];
  exposeHeaders?: string[];
  credentials?: boolean;
  maxAge?: number | string;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function appendVary(headers: Record<string, string | string[]>, value: string): void {
  const current = headers.vary;
  const text = Array.isArray(current) ? current.join(", ") : current;
  if (text === undefined || text === "") headers.vary = value;
  else if (!text.split(",").some((v) => v.trim().toLowerCase() === value.toLowerCase() || v.trim() === "*")) headers.vary = `${text}, ${value}`;
}

/**
 * `cors` (access phase, before auth). A preflight (OPTIONS with `Origin` and
 * `Access-Control-Request-Method`) is answered by the gateway: 204 with the
 * Access-Control-* headers when the origin and the method are allowed
 * (and the announced headers, when `headers` lists them), else 403
 * `cors_rejected`. Other requests from an allowed origin go on, and the
 * answer (the upstream's, or the gateway's own error) gets
 * `Access-Control-Allow-Origin` (the origin itself, or `*` when every
 * origin is allowed and credentials are not), `Vary: Origin`, and the
 * credentials and expose headers. A request without `Origin`, or from an
 * origin not allowed, is left alone (the browser then refuses to show the
 * answer to the page).
 *
 * Credentials go only to origins a specific pattern admits: an origin that
 * only `*` (or a host wildcard such as `https://*`) admits is answered `*`
 * without them, so no site can borrow the user's cookies by being echoed.
 */
export const cors: BuiltinPlugin = {
  name: "cors",
  needsBody: false,
  create(raw) {
    const config = raw as unknown as CorsConfig;
    const any = config.origins.includes("*");
    const origins = compileGlobs(config.origins.map((o) => o.toLowerCase()));
    const specific = compileGlobs(config.origins.filter((o) => !isAnyOrigin(o)).map((o) => o.toLowerCase()));
    const methods = (config.methods ?? ["GET", "HEAD", "POST"]).map((m) => m.toUpperCase());
    const allowedMethods = new Set(methods);
    const allowedHeaders = config.headers === undefined ? null : new Set(config.headers.map((h) => h.toLowerCase()));
    const credentials = config.credentials === true;
    const wildcard = any && !credentials;
    const maxAge = config.maxAge === undefined ? undefined : String(typeof config.maxAge === "number" ? config.maxAge : Math.floor((parseDuration(config.maxAge) ?? 0) / 1000));
    const expose = config.exposeHeaders === undefined || config.exposeHeaders.length === 0 ? undefined : config.exposeHeaders.join(", ");
    /** How an origin is answered: not at all, `*` without credentials, or echoed (with credentials when configured). */
    type Grant = "none" | "any" | "echo";
    const grantOf = (origin: string): Grant => {
      const lower = origin.toLowerCase();
      if (wildcard) return "any";
      if (credentials) return specific.test(lower) ? "echo" : any || origins.test(lower) ? "any" : "none";
      return any || origins.test(lower) ? "echo" : "none";
    };
    // The last origin asked about and the answer: most traffic on a route comes from one web app.
    let lastOrigin: string | null = null;
    let lastGrant: Grant = "none";
    const grant = (origin: string): Grant => {
      if (origin !== lastOrigin) {
        lastGrant = grantOf(origin);
        lastOrigin = origin;
      }
      return lastGrant;
    };
    return {
      request(call) {
        const req = call.ctx.req;
        if (req.method !== "OPTIONS") return undefined;
        const origin = first(req.headers.origin);
        const method = first(req.headers["access-control-request-method"]);
        if (origin === undefined || method === undefined) return undefined; // not a preflight
        const granted = grant(origin);
        if (granted === "none") throw new HttpError("cors_rejected", `origin ${clip(origin)} is not allowed`);
        if (!allowedMethods.has(method.toUpperCase())) throw new HttpError("cors_rejected", `method ${clip(method)} is not allowed from ${clip(origin)}`);
        const asked = first(req.headers["access-control-request-headers"]);
        const askedList = asked === undefined ? [] : asked.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
        if (allowedHeaders !== null) {
          const refused = askedList.filter((h) => !allowedHeaders.has(h));
          if (refused.length > 0) throw new HttpError("cors_rejected", `header ${clip(refused.join(", "))} is not allowed from ${clip(origin)}`);
        }
        const headers: Record<string, string> = {
          "access-control-allow-origin": granted === "echo" ? origin : "*",
          "access-control-allow-methods": methods.join(", "),
          vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        };
        const allowHeaders = allowedHeaders === null ? askedList.join(", ") : [...allowedHeaders].join(", ");
        if (allowHeaders !== "") headers["access-control-allow-headers"] = allowHeaders;
        if (credentials && granted === "echo") headers["access-control-allow-credentials"] = "true";
        if (maxAge !== undefined) headers["access-control-max-age"] = maxAge;
        return { status: 204, headers };
      },
      reads: ["access-control-allow-origin", "vary"],
      response(call) {
        const req = call.ctx.req;
        // A refused preflight stays refused: no allow headers on its 403.
        if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) return;
        const origin = first(req.headers.origin);
        const headers = call.response!.headers;
        if (origin === undefined || headers["access-control-allow-origin"] !== undefined) return;
        const granted = grant(origin);
        if (granted === "none") return;
        headers["access-control-allow-origin"] = granted === "echo" ? origin : "*";
        if (!wildcard) appendVary(headers, "Origin");
        if (credentials && granted === "echo") headers["access-control-allow-credentials"] = "true";
        if (expose !== undefined) headers["access-control-expose-headers"] = expose;
      },
    };
  },
};
