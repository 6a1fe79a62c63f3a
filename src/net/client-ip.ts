import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * Who the client is, given `server.trustProxy`: `false` trusts no proxy
 * (the socket's peer is the client); `true` trusts every hop (the leftmost
 * X-Forwarded-For address); a number trusts that many hops from the right;
 * a list of CIDRs skips, from the right, the addresses inside them. The
 * answer is always an address in canonical form (see `canonicalIp`): an
 * X-Forwarded-For entry that is not an address is never taken, the hop
 * that sent it is the client instead. At most `MAX_FORWARDED_ENTRIES`
 * entries are read, from the right, so a header of thousands of entries
 * costs no more than a short one.
 */
export type ClientIpResolver = (remoteAddress: string, forwardedFor: string | undefined) => string;

/** Whether to believe the client's X-Forwarded-* headers, given the peer. */
export type TrustCheck = (remoteAddress: string) => boolean;

/** X-Forwarded-For entries read at most, from the right (more than any real chain of proxies). */
export const MAX_FORWARDED_ENTRIES = 64;

const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * `ip` in one spelling per address, or null when it is not an address:
 * IPv4 dotted; IPv6 lower-case and compressed (RFC 5952, by the WHATWG URL
 * parser), an IPv4-mapped one (`::ffff:192.0.2.1`) as its IPv4 address.
 * Zone ids (`fe80::1%eth0`) are not accepted.
 */
export function canonicalIp(ip: string): string | null {
  if (isIPv4(ip)) return ip;
  // The common case, a dual-stack socket's IPv4 peer, without a URL parse.
  if (ip.startsWith("::ffff:") && isIPv4(ip.slice(7))) return ip.slice(7);
  if (!isIPv6(ip) || ip.includes("%")) return null;
  const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = MAPPED.exec(host);
  if (mapped === null) return host;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The socket's peer address, canonical (it is one unless the socket is already gone). */
function peer(remote: string): string {
  return canonicalIp(remote) ?? remote;
}

/**
 * Calls `visit` with the entries of an X-Forwarded-For value from the right,
 * blanks skipped, at most `max` of them, until it returns false.
 */
function fromTheRight(value: string, max: number, visit: (entry: string) => boolean): void {
  let end = value.length;
  for (let seen = 0; end > 0 && seen < max; ) {
    const comma = value.lastIndexOf(",", end - 1);
    const entry = value.slice(comma + 1, end).trim();
    end = comma;
    if (entry === "") continue;
    seen++;
    if (!visit(entry)) return;
  }
}

/** The leftmost entry of an X-Forwarded-For value. */
function leftmost(value: string): string {
  const comma = value.indexOf(",");
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

export function compileTrust(trustProxy: boolean | number | string[] | undefined): { clientIp: ClientIpResolver; trusts: TrustCheck } {
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) {
    return { clientIp: (remote) => peer(remote), trusts: () => false };
  }
  if (trustProxy === true) {
    return {
      clientIp: (remote, xff) => (xff === undefined ? null : canonicalIp(leftmost(xff))) ?? peer(remote),
      trusts: () => true,
    };
  }
  if (typeof trustProxy === "number") {
    const hops = trustProxy;
    return {
      clientIp: (remote, xff) => {
        let client = peer(remote);
        if (xff === undefined) return client;
        let hop = 0;
        fromTheRight(xff, Math.min(hops, MAX_FORWARDED_ENTRIES), (entry) => {
          const ip = canonicalIp(entry);
          if (ip === null) return false;
          client = ip;
          return ++hop < hops;
        });
        return client;
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
  /** `ip` is canonical: IPv4 or IPv6, never mapped. */
  const trusted = (ip: string): boolean => list.check(ip, ip.includes(":") ? "ipv6" : "ipv4");
  return {
    clientIp: (remote, xff) => {
      let client = peer(remote);
      if (xff === undefined || canonicalIp(client) === null || !trusted(client)) return client;
      fromTheRight(xff, MAX_FORWARDED_ENTRIES, (entry) => {
        const ip = canonicalIp(entry);
        if (ip === null) return false;
        client = ip;
        return trusted(ip);
      });
      return client;
    },
    trusts: (remote) => {
      const ip = canonicalIp(remote);
      return ip !== null && trusted(ip);
    },
  };
}

/**
 * What a client counts as for `key: ip` limits: an IPv4 address, or the /64
 * of an IPv6 one (`2001:db8:1:2::/64`), since one subscriber gets a whole
 * /64 and can rotate through it. `ip` need not be canonical.
 */
export function clientSubnet(ip: string): string {
  const canonical = canonicalIp(ip);
  if (canonical === null || !canonical.includes(":")) return canonical ?? ip;
  const [head = "", tail] = canonical.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${groups.slice(0, 4).join(":")}::/64`;
}
