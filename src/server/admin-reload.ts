import type { IncomingMessage } from "node:http";
import type { Reloader } from "../reload/reloader.js";
import type { AdminRoute } from "./admin.js";

function wantsForce(req: IncomingMessage): boolean {
  const query = (req.url ?? "").split("?")[1] ?? "";
  return new URLSearchParams(query).get("force") === "true" || new URLSearchParams(query).get("force") === "1";
}

/**
 * `POST /admin/reload` (operator; `?force=true` rebuilds even when nothing
 * changed) answers whether the config applied and why not: 200 for success
 * or unchanged, 422 with the findings when the new config is invalid (the
 * running one stays). `GET /admin/reloads` lists the recent reloads.
 */
export function reloadRoutes(reloader: Reloader): AdminRoute[] {
  return [
    {
      method: "POST",
      path: "/admin/reload",
      role: "operator",
      async handle(req, res) {
        req.resume();
        const record = await reloader.reload("admin", { force: wantsForce(req) });
        const body = JSON.stringify({ applied: record.result === "success", ...record });
        res.writeHead(record.result === "failure" ? 422 : 200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
        res.end(body);
      },
    },
    {
      method: "GET",
      path: "/admin/reloads",
      role: "viewer",
      handle(_req, res) {
        const body = JSON.stringify({ reloads: reloader.history() });
        res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
        res.end(body);
      },
    },
  ];
}
