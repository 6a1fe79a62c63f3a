import { BlockList, isIPv6 } from "node:net";

/**
 * Who the client is, given `server.trustProxy`: `false` trusts no proxy
 * (the socket's peer is the client); `true` trusts every hop (the leftmost
 * X-Forwarded-For address); a number trusts that many hops from the right;
 * a list of CIDRs skips, from the right, the addresses inside them.
 */
export type ClientIpResolver = (remoteAddress: string, forwardedFor: string | undefined) => string;

/** Whether to believe the client's X-Forwarded-* headers, given the peer. */
export type TrustCheck = (remoteAddress: string) => boolean;

function stripMapped(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function parseForwarded(value: string | undefined): string[] {
  if (value === undefined || value === "") return [];
  return value
    .split(",")
    .map((s) => stripMapped(s.trim()))
    .filter((s) => s.length > 0);
}

export function compileTrust(trustProxy: boolean | number | string[] | undefined): { clientIp: ClientIpResolver; trusts: TrustCheck } {
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) {
    return { clientIp: (remote) => stripMapped(remote), trusts: () => false };
  }
  if (trustProxy === true) {
    return {
      clientIp: (remote, xff) => parseForwarded(xff)[0] ?? stripMapped(remote),
      trusts: () => true,
    };
  }
  if (typeof trustProxy === "number") {
    const hops = trustProxy;
    return {
      clientIp: (remote, xff) => {
        const chain = [...parseForwarded(xff), stripMapped(remote)];
        return chain[Math.max(0, chain.length - 1 - hops)]!;
      },
      trusts: () => true,
    };
  }
  const list = new BlockList();
  for (const cidr of trustProxy) {
    const [addr = "", bits] = cidr.split("/");
    const type = isIPv6(addr) ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  const trusted = (ip: string): boolean => {
    try {
      return list.check(ip, isIPv6(ip) ? "ipv6" : "ipv4");
    } catch {
      return false;
    }
  };
  return {
    clientIp: (remote, xff) => {
      const chain = [...parseForwarded(xff), stripMapped(remote)];
      for (let i = chain.length - 1; i >= 0; i--) if (!trusted(chain[i]!)) return chain[i]!;
      return chain[0]!;
    },
    trusts: (remote) => trusted(stripMapped(remote)),
  };
}
