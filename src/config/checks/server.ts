import { isIP } from "node:net";
import type { CheckContext } from "./context.js";
import { serveSeverity } from "./context.js";

interface HostPort {
  host: string;
  port: number;
}

export function splitHostPort(address: string): HostPort {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  return { host, port: Number(address.slice(i + 1)) };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const wildcard = (host: string): boolean => host === "" || host === "0.0.0.0" || host === "::";

export function checkServer(ctx: CheckContext): void {
  const { reporter } = ctx;
  const server = ctx.config.server;
  const addresses: [string, string | undefined][] = [
    ["listen", server.listen],
    ["admin", server.admin],
  ];
  for (const [key, address] of addresses) {
    if (address === undefined || ctx.isUnset(["server", key])) continue;
    const { port } = splitHostPort(address);
    if (port > 65535) reporter.report("error", "server.port.range", ["server", key], `server.${key}: port ${port} is out of range (0-65535)`);
  }
  if (server.listen !== undefined && server.admin !== undefined && !ctx.isUnset(["server", "listen"]) && !ctx.isUnset(["server", "admin"])) {
    const a = splitHostPort(server.listen);
    const b = splitHostPort(server.admin);
    if (a.port !== 0 && a.port === b.port && (a.host === b.host || wildcard(a.host) || wildcard(b.host))) {
      reporter.report("error", "server.listen.conflict", ["server", "admin"], `server.admin (${server.admin}) and server.listen (${server.listen}) use the same port`);
    }
  }
  if (server.admin !== undefined && server.adminAuth === undefined && !ctx.isUnset(["server", "admin"])) {
    const { host } = splitHostPort(server.admin);
    if (!isLoopback(host)) {
      reporter.report("error", "server.admin.exposed", ["server", "admin"], `the admin listener ${server.admin} is not on loopback and has no \`adminAuth\`: anyone who reaches it could read the config and reload it`, {
        hint: "bind it to 127.0.0.1, or add server.adminAuth.tokens",
      });
    }
  }
  if (Array.isArray(server.trustProxy)) {
    server.trustProxy.forEach((cidr, i) => {
      if (ctx.isUnset(["server", "trustProxy", i])) return;
      const [addr = "", bits] = cidr.split("/");
      const family = isIP(addr);
      const max = family === 6 ? 128 : 32;
      if (family === 0 || (bits !== undefined && Number(bits) > max)) {
        reporter.report("error", "server.trust-proxy.cidr", ["server", "trustProxy", i], `server.trustProxy: ${JSON.stringify(cidr)} is not an IP address or CIDR`);
      }
    });
  }
  if (server.tls !== undefined) {
    for (const key of ["cert", "key"] as const) {
      const file = server.tls[key];
      if (!ctx.isUnset(["server", "tls", key]) && !ctx.fileExists(file)) {
        reporter.report(serveSeverity(ctx), "server.tls.file.missing", ["server", "tls", key], `server.tls.${key}: file ${JSON.stringify(file)} does not exist`);
      }
    }
  }
}
