import { BlockList, isIPv6 } from "node:net";
import { HttpError } from "../../errors/http.js";
import type { BuiltinPlugin } from "../instance.js";

function compileList(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = "", bits] = cidr.split("/");
    const type = isIPv6(addr) ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (ip) => {
    if (ip === "") return false;
    try {
      return list.check(ip, isIPv6(ip) ? "ipv6" : "ipv4");
    } catch {
      return false;
    }
  };
}

/**
 * `ip-allow` and `ip-deny` (access phase): the client address the gateway
 * worked out (`server.trustProxy` honoured: behind trusted proxies, the
 * first untrusted X-Forwarded-For hop) against IPv4 and IPv6 CIDRs. A
 * refused client gets 403 `ip_denied`.
 */
export const ipAllow: BuiltinPlugin = {
  name: "ip-allow",
  needsBody: false,
  create(config) {
    const listed = compileList(config.cidrs as string[]);
    return {
      request(call) {
        if (!listed(call.ctx.clientIp)) throw new HttpError("ip_denied", `client address ${call.ctx.clientIp || "(unknown)"} is not allowed`);
      },
    };
  },
};

export const ipDeny: BuiltinPlugin = {
  name: "ip-deny",
  needsBody: false,
  create(config) {
    const listed = compileList(config.cidrs as string[]);
    return {
      request(call) {
        if (listed(call.ctx.clientIp)) throw new HttpError("ip_denied", `client address ${call.ctx.clientIp} is denied`);
      },
    };
  },
};
