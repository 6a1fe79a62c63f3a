/**
 * Issue 23, item 13: rate-limit keys an attacker cannot multiply. Before
 * the fix `key: ip` counted every IPv6 address on its own (one subscriber
 * holds a whole /64 and can rotate through it), the same address written
 * two ways (upper case, uncompressed, IPv4-mapped in hex) was two
 * counters, an X-Forwarded-For entry that is not an address at all was
 * taken as the client (a fresh key per request), a key value was stored
 * whole whatever its length, and a full in-memory store evicted its least
 * recently used counter to admit a new key: rotating through fresh keys
 * reset a victim's exhausted counter. Gateways here are real (sockets on
 * port 0, a fake clock so a window never ends mid-test), the trusted proxy
 * is the test's own 127.0.0.1 presenting X-Forwarded-For, and the
 * address-picking rules are checked with fast-check against a reference
 * written here from the documented rules (its own IPv6 parser, canonical
 * form and CIDR matching, no node:net).
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../../src/compile/snapshot.js";
import { compileTrust } from "../../src/net/client-ip.js";
import type { RequestContext } from "../../src/pipeline/types.js";
import { MemoryStore } from "../../src/ratelimit/memory-store.js";
import { keyValue, runtimePolicy } from "../../src/ratelimit/policy.js";
import { accessLine } from "../helpers/access-line.js";
import { fakeClock, startClockedGateway } from "../helpers/clocked-gateway.js";
import { FakeUpstream } from "../helpers/fake-upstream.js";
import type { TestGateway } from "../helpers/gateway.js";

let up: FakeUpstream;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  up = await new FakeUpstream().start();
});
afterAll(async () => {
  await up?.close();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function yaml(options: { maxKeys?: number } = {}): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  shutdown: { drainDelayMs: 0, graceMs: 1000 }
  trustProxy: ["127.0.0.1/32"]
${options.maxKeys === undefined ? "" : `state:\n  memory: { maxKeys: ${options.maxKeys} }\n`}rateLimits:
  - { name: per-ip, algorithm: fixed_window, limit: 2, window: 1m, key: ip }
  - { name: per-caller, algorithm: fixed_window, limit: 2, window: 1m, key: consumer }
upstreams:
  - { name: svc, type: http, targets: [{ url: "${up.url}" }] }
routes:
  - { name: by-ip, match: { pathPrefix: /ip }, upstream: svc, rateLimits: [per-ip] }
  - { name: anonymous, match: { pathPrefix: /anon }, upstream: svc, rateLimits: [per-caller] }
`;
}

async function gateway(options: { maxKeys?: number } = {}): Promise<TestGateway> {
  // Time stands still: every request of a test falls in one window.
  const gw = await startClockedGateway(yaml(options), fakeClock());
  cleanup.push(() => gw.close());
  return gw;
}

let requestCount = 0;

/** One request from the trusted proxy (127.0.0.1) on behalf of `forwardedFor`; its status and request id. */
async function from(gw: TestGateway, path: string, forwardedFor: string): Promise<{ status: number; id: string }> {
  const id = `rl-${process.pid}-${++requestCount}`;
  const res = await fetch(`${gw.url}${path}`, { headers: { "x-forwarded-for": forwardedFor, "x-request-id": id } });
  await res.arrayBuffer();
  return { status: res.status, id };
}

async function statuses(gw: TestGateway, path: string, addresses: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const a of addresses) out.push((await from(gw, path, a)).status);
  return out;
}

/** The client address the access line of request `id` records (written when the request completes; polled, bounded). */
async function loggedClient(gw: TestGateway, id: string): Promise<unknown> {
  return (await accessLine(gw, id)).clientIp;
}

async function overflowMetric(gw: TestGateway, policy: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`aigw_rate_limit_overflow_total{policy="${policy}"} `));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

describe("one client, one counter", () => {
  it("counts two addresses in one /64 on one counter, and an address of the next /64 on its own", async () => {
    const gw = await gateway();
    expect(await statuses(gw, "/ip/x", ["2001:db8:aa:1::1", "2001:db8:aa:1:ffff:ffff:ffff:fffe", "2001:DB8:AA:1:0:0:0:7"])).toEqual([200, 200, 429]);
    expect(await statuses(gw, "/ip/x", ["2001:db8:aa:2::1"])).toEqual([200]);
    // The address itself is logged in one spelling.
    const { id } = await from(gw, "/ip/x", "2001:0DB8:00AA:0003:0000:0000:0000:0007");
    expect(await loggedClient(gw, id)).toBe("2001:db8:aa:3::7");
  });

  it("counts an IPv4-mapped IPv6 address as the IPv4 address", async () => {
    const gw = await gateway();
    expect(await statuses(gw, "/ip/x", ["203.0.113.7", "::ffff:cb00:7107", "::FFFF:203.0.113.7", "0:0:0:0:0:ffff:203.0.113.7"])).toEqual([200, 200, 429, 429]);
    const { id } = await from(gw, "/ip/x", "::ffff:cb00:7108");
    expect(await loggedClient(gw, id)).toBe("203.0.113.8");
  });

  it("keys anonymous callers of key: consumer by the same /64", async () => {
    const gw = await gateway();
    expect(await statuses(gw, "/anon/x", ["2001:db8:bb:1::10", "2001:db8:bb:1::20", "2001:db8:bb:1:abcd::30"])).toEqual([200, 200, 429]);
    expect(await statuses(gw, "/anon/x", ["2001:db8:bb:2::10"])).toEqual([200]);
  });

  it("never takes an entry that is not an address as the client: the proxy that sent it is", async () => {
    const gw = await gateway();
    const junk = ["unknown", "not-an-ip", "<script>x</script>", "999.1.1.1", "fe80::1%eth0", "198.51.100.1:8080", "203.0.113.50, garbage"];
    const answers = [];
    for (const entry of junk) answers.push(await from(gw, "/ip/x", entry));
    // All of them count on the proxy's one counter, instead of one fresh counter each.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429, 429, 429, 429]);
    for (const a of answers) expect(await loggedClient(gw, a.id)).toBe("127.0.0.1");
    const trust = compileTrust(["127.0.0.1/32"]);
    expect(trust.clientIp("127.0.0.1", "203.0.113.9, not-an-ip")).toBe("127.0.0.1");
    expect(trust.clientIp("127.0.0.1", "not-an-ip, 203.0.113.9")).toBe("203.0.113.9");
    expect(compileTrust(2).clientIp("127.0.0.1", "203.0.113.9, not-an-ip")).toBe("127.0.0.1");
    expect(compileTrust(true).clientIp("127.0.0.1", "not-an-ip, 203.0.113.9")).toBe("127.0.0.1");
  });
});

describe("a full store keeps every live counter", () => {
  it("never resets a victim's exhausted counter while an attacker rotates keys through a real gateway", async () => {
    const gw = await gateway({ maxKeys: 500 });
    const victim = "198.51.100.7";
    expect(await statuses(gw, "/ip/x", [victim, victim, victim])).toEqual([200, 200, 429]);
    const attacker = Array.from({ length: 2000 }, (_, i) => `10.66.${i >> 8}.${i & 255}`);
    const answers: number[] = [];
    for (let i = 0; i < attacker.length; i += 25) {
      answers.push(...(await Promise.all(attacker.slice(i, i + 25).map(async (a) => (await from(gw, "/ip/x", a)).status))));
    }
    expect(await statuses(gw, "/ip/x", [victim])).toEqual([429]);
    // 499 attacker keys found room (the victim holds the 500th); the other 1,501 shared the policy's overflow counter, itself limited to 2.
    expect(answers.filter((s) => s === 200)).toHaveLength(499 + 2);
    expect(answers.filter((s) => s === 429)).toHaveLength(1501 - 2);
    expect(await overflowMetric(gw, "per-ip")).toBe(1501);
  }, 60_000);

  it("keeps a victim's counter through 100,000 new keys at the default size, counting each overflow", () => {
    const clock = fakeClock();
    const overflows: string[] = [];
    const store = new MemoryStore(clock, undefined, 60_000, { onOverflow: (policy) => overflows.push(policy) });
    cleanup.push(() => store.destroy());
    const policy = runtimePolicy({ name: "per-ip", algorithm: "fixed_window", limit: 2, windowMs: 60_000, key: "ip", cost: "requests", mode: "enforce" });
    const check = (ip: string) => [{ key: `${policy.prefix}ip:${ip}`, spec: policy.spec, admit: 1, cost: 1, shadow: false }];
    // The victim exhausts its counter; 1,000 other users have live counters with one request left.
    expect([1, 2, 3].map(() => store.checkNow(check("198.51.100.7")).allowed)).toEqual([true, true, false]);
    const users = Array.from({ length: 1000 }, (_, i) => `192.0.${i >> 8}.${i & 255}`);
    for (const u of users) expect(store.checkNow(check(u)).allowed).toBe(true);
    // 100,000 new keys: 98,999 find room (100,000 counters in all), 1,001 do not.
    for (let i = 0; i < 100_000; i++) store.checkNow(check(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
    expect(overflows).toHaveLength(1001);
    expect(new Set(overflows)).toEqual(new Set(["per-ip"]));
    expect(store.checkNow(check("198.51.100.7")).allowed).toBe(false);
    for (const u of users) expect(store.checkNow(check(u)).allowed).toBe(true); // their second request of two
    for (const u of users.slice(0, 10)) expect(store.checkNow(check(u)).allowed).toBe(false);
    expect(overflows).toHaveLength(1001); // live counters are never counted as overflow
  });
});

describe("bounded key values", () => {
  /** Just what `keyValue` reads of a request. */
  function ctxWith(headers: Record<string, string>, identity: { subject: string; claims: Record<string, unknown> } | null = null): RequestContext {
    return { req: { headers }, consumer: null, identity, clientIp: "203.0.113.1" } as unknown as RequestContext;
  }
  const policy = (key: string): ReturnType<typeof runtimePolicy> =>
    runtimePolicy({ name: "p", algorithm: "fixed_window", limit: 2, windowMs: 60_000, key, cost: "requests", mode: "enforce" } satisfies CompiledPolicy);

  it("keeps a 16 KB header value as a short digest, one counter per value", () => {
    const long = "t".repeat(16 * 1024);
    const otherLong = long.slice(0, -1) + "u";
    const byHeader = policy("header:x-tenant");
    const a = keyValue(byHeader, ctxWith({ "x-tenant": long }), "r");
    const b = keyValue(byHeader, ctxWith({ "x-tenant": otherLong }), "r");
    expect(a.length).toBeLessThanOrEqual(128);
    expect(b.length).toBeLessThanOrEqual(128);
    expect(a).not.toBe(b);
    expect(keyValue(byHeader, ctxWith({ "x-tenant": long }), "r")).toBe(a);
    // A short value is kept as it is.
    expect(keyValue(byHeader, ctxWith({ "x-tenant": "team-a" }), "r")).toBe("h:team-a");
    // The same for claims and for the subject of key: consumer.
    const identity = { subject: long, claims: { org: long } };
    expect(keyValue(policy("claim:org"), ctxWith({}, identity), "r").length).toBeLessThanOrEqual(128);
    expect(keyValue(policy("consumer"), ctxWith({}, identity), "r").length).toBeLessThanOrEqual(128);
  });
});

// ---------------------------------------------------------------------------
// The reference: which X-Forwarded-For entry is the client, from the rules
// as documented (DESIGN.md 10, src/pipeline/client-ip.ts): a CIDR list skips
// trusted addresses from the right and takes the first untrusted one (the
// peer itself when it is not trusted); a hop count takes that many entries
// from the right; blank entries are skipped; an entry that is not an
// address stops the walk (the hop that sent it is the client); at most 64
// entries are read; the answer is canonical (IPv4 dotted; IPv6 lower-case,
// longest zero run compressed; IPv4-mapped as IPv4).

const MAX_ENTRIES = 64;

interface Address {
  v: 4 | 6;
  bytes: number[];
}

function parseV4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  const parts = m.slice(1);
  if (parts.some((p) => (p.length > 1 && p.startsWith("0")) || Number(p) > 255)) return null;
  return parts.map(Number);
}

function parseV6(s: string): number[] | null {
  let text = s;
  let v4: number[] | null = null;
  const lastColon = s.lastIndexOf(":");
  if (lastColon === -1) return null;
  if (s.slice(lastColon + 1).includes(".")) {
    v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (h: string): string[] => (h === "" ? [] : h.split(":"));
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  let groups: string[];
  if (halves.length === 1) {
    if (left.length !== 8) return null;
    groups = left;
  } else {
    if (left.length + right.length > 7) return null;
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  }
  const bytes = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  if (v4 !== null) bytes.splice(12, 4, ...v4);
  return bytes;
}

function parse(s: string): Address | null {
  const v4 = parseV4(s);
  if (v4 !== null) return { v: 4, bytes: v4 };
  const v6 = parseV6(s);
  if (v6 === null) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 255 && v6[11] === 255;
  return mapped ? { v: 4, bytes: v6.slice(12) } : { v: 6, bytes: v6 };
}

function text(a: Address): string {
  if (a.v === 4) return a.bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => a.bytes[2 * i]! * 256 + a.bytes[2 * i + 1]!);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

function canonical(s: string): string | null {
  const a = parse(s);
  return a === null ? null : text(a);
}

interface Cidr {
  v: 4 | 6;
  bytes: number[];
  bits: number;
  /** Written without `/bits` (a single address). */
  bare: boolean;
}

function cidrText(c: Cidr): string {
  return c.bare ? text(c) : `${text(c)}/${c.bits}`;
}

function inCidr(a: Address, c: Cidr): boolean {
  if (a.v !== c.v) return false;
  for (let bit = 0; bit < c.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a.bytes[bit >> 3]! & mask) !== (c.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** Non-blank entries from the right, at most 64. */
function lastEntries(xff: string): string[] {
  return xff
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .reverse()
    .slice(0, MAX_ENTRIES);
}

function referenceClient(trust: number | Cidr[], remote: string, xff: string | undefined): string {
  let client = canonical(remote) ?? remote;
  if (xff === undefined) return client;
  if (typeof trust === "number") {
    if (trust === 0) return client;
    for (const entry of lastEntries(xff).slice(0, trust)) {
      const c = canonical(entry);
      if (c === null) break;
      client = c;
    }
    return client;
  }
  const trusted = (ip: string): boolean => trust.some((c) => inCidr(parse(ip)!, c));
  if (!trusted(client)) return client;
  for (const entry of lastEntries(xff)) {
    const c = canonical(entry);
    if (c === null) break;
    client = c;
    if (!trusted(c)) break;
  }
  return client;
}

// Generators: a few addresses (so that lists and entries meet), each in many spellings.
const V4_POOL = [[10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 1, 7], [127, 0, 0, 1], [192, 0, 2, 1], [192, 0, 2, 200], [198, 51, 100, 9], [203, 0, 113, 7]];
const V6_POOL = [
  "2001:db8::1", "2001:db8::2", "2001:db8:0:1::5", "2001:db8:0:1:0:0:0:6", "2001:db8:0:0:1:0:0:1", "2001:db8:1:0:0:1:0:1",
  "2001:db8:ffff:0:0:0:0:1", "2001:db8:aa:1:ffff:ffff:ffff:fffe", "2001:0:0:1:0:0:0:1",
].map((s) => parseV6(s)!);

const anAddress: fc.Arbitrary<Address> = fc.oneof(
  fc.constantFrom(...V4_POOL).map((bytes): Address => ({ v: 4, bytes })),
  fc.constantFrom(...V6_POOL).map((bytes): Address => ({ v: 6, bytes })),
);

const hex4 = (n: number, pad: boolean, upper: boolean): string => {
  const h = pad ? n.toString(16).padStart(4, "0") : n.toString(16);
  return upper ? h.toUpperCase() : h;
};

/** `a` written one of the ways a client or proxy may write it. */
function spelling(a: Address): fc.Arbitrary<string> {
  const upper = fc.boolean();
  if (a.v === 4) {
    const dotted = a.bytes.join(".");
    const hi = a.bytes[0]! * 256 + a.bytes[1]!;
    const lo = a.bytes[2]! * 256 + a.bytes[3]!;
    return fc.oneof(
      fc.constant(dotted),
      upper.map((u) => `::${u ? "FFFF" : "ffff"}:${dotted}`),
      fc.tuple(fc.boolean(), upper).map(([pad, u]) => `::ffff:${hex4(hi, pad, u)}:${hex4(lo, pad, u)}`),
      fc.constant(`0:0:0:0:0:ffff:${dotted}`),
      upper.map((u) => `0000:0000:0000:0000:0000:${u ? "FFFF" : "ffff"}:${hex4(hi, true, u)}:${hex4(lo, true, u)}`),
    );
  }
  const groups = Array.from({ length: 8 }, (_, i) => a.bytes[2 * i]! * 256 + a.bytes[2 * i + 1]!);
  const zeroRuns: [number, number][] = [];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    zeroRuns.push([i, j]);
    i = j;
  }
  const full = fc.tuple(fc.boolean(), upper).map(([pad, u]) => groups.map((g) => hex4(g, pad, u)).join(":"));
  const compressed =
    zeroRuns.length === 0
      ? full
      : fc.tuple(fc.constantFrom(...zeroRuns), upper).map(([[from, to], u]) => `${groups.slice(0, from).map((g) => hex4(g, false, u)).join(":")}::${groups.slice(to).map((g) => hex4(g, false, u)).join(":")}`);
  return fc.oneof(fc.constant(text(a)), full, compressed);
}

const JUNK = ["unknown", "not-an-ip", "999.1.1.1", "1.2.3", "01.2.3.4", "fe80::1%eth0", "2001:db8::g", "198.51.100.1:8080", "[2001:db8::1]", "_hidden", "0x7f.0.0.1", "::ffff:999.0.0.1", "1.2.3.4.5"];

const anEntry: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: anAddress.chain(spelling) },
  { weight: 1, arbitrary: fc.constantFrom(...JUNK) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "  ") },
);

const padded = (entry: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(fc.constantFrom("", " ", "  "), entry, fc.constantFrom("", " ")).map(([a, e, b]) => a + e + b);

/** What a socket reports as its peer: IPv4, IPv4 on a dual-stack socket, or IPv6. */
function peerText(a: Address, dualStack: boolean): string {
  return a.v === 6 ? text(a) : dualStack ? `::ffff:${text(a)}` : text(a);
}

const aCidr: fc.Arbitrary<Cidr> = anAddress.chain((a) =>
  fc
    .tuple(a.v === 4 ? fc.oneof(fc.constantFrom(8, 16, 24, 32), fc.integer({ min: 0, max: 32 })) : fc.oneof(fc.constantFrom(32, 48, 64, 128), fc.integer({ min: 16, max: 128 })), fc.boolean())
    .map(([bits, bare]): Cidr => ({ v: a.v, bytes: a.bytes, bits: bare ? a.bytes.length * 8 : bits, bare })),
);

/** A trust setting and the peer it is applied to; a CIDR list covers the peer most of the time (the peer is the proxy). */
const aSetup: fc.Arbitrary<{ trust: number | Cidr[]; peer: string }> = fc
  .record({
    peer: anAddress,
    dualStack: fc.boolean(),
    trust: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.array(aCidr, { minLength: 1, maxLength: 5 })),
    coverPeer: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ peer, dualStack, trust, coverPeer }) => ({
    peer: peerText(peer, dualStack),
    trust: typeof trust === "number" || coverPeer === 0 ? trust : [...trust, { v: peer.v, bytes: peer.bytes, bits: peer.bytes.length * 8, bare: coverPeer === 1 }],
  }));

const toConfig = (trust: number | Cidr[]): number | string[] => (typeof trust === "number" ? trust : trust.map(cidrText));

describe("which X-Forwarded-For entry is the client", () => {
  it("picks what the reference picks, for CIDR lists and hop counts", () => {
    fc.assert(
      fc.property(aSetup, fc.option(fc.array(padded(anEntry), { maxLength: 80 }), { nil: undefined }), ({ trust, peer }, entries) => {
        const xff = entries?.join(",");
        expect(compileTrust(toConfig(trust)).clientIp(peer, xff)).toBe(referenceClient(trust, peer, xff));
      }),
      { numRuns: 2000 },
    );
  });

  it("takes the right-most untrusted address, skipping trusted proxies", () => {
    const trust = compileTrust(["10.0.0.0/8", "2001:db8:ffff::/48"]);
    expect(trust.clientIp("10.0.0.1", "198.51.100.1, 203.0.113.5, 2001:db8:ffff::9, 10.0.0.2")).toBe("203.0.113.5");
    expect(trust.clientIp("10.0.0.1", "198.51.100.1,203.0.113.5")).toBe("203.0.113.5");
    // Every hop trusted: the left-most address is the client.
    expect(trust.clientIp("10.0.0.1", "10.1.1.1, 10.0.0.2")).toBe("10.1.1.1");
    // A peer that is not a trusted proxy is the client, whatever it claims.
    expect(trust.clientIp("192.0.2.50", "203.0.113.5")).toBe("192.0.2.50");
    expect(trust.clientIp("::ffff:192.0.2.50", "203.0.113.5")).toBe("192.0.2.50");
  });

  it("with a hop count, takes the address that many hops from the right", () => {
    expect(compileTrust(1).clientIp("10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2")).toBe("10.0.0.2");
    expect(compileTrust(2).clientIp("10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2")).toBe("203.0.113.5");
    expect(compileTrust(5).clientIp("10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2")).toBe("198.51.100.1");
    expect(compileTrust(2).clientIp("10.0.0.1", undefined)).toBe("10.0.0.1");
  });

  it("answers a header of thousands of entries from its last 64, as if the rest were not there", () => {
    const trusted = Array.from({ length: 9_999 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const xff = ["198.51.100.1", ...trusted].join(", ");
    const last64 = trusted.slice(-64).join(", ");
    for (const trust of [compileTrust(["10.0.0.0/8"]), compileTrust(5_000)]) {
      expect(trust.clientIp("10.0.0.1", xff)).toBe(trust.clientIp("10.0.0.1", last64));
      expect(trust.clientIp("10.0.0.1", xff)).toBe(trusted[trusted.length - 64]);
    }
  });

  it("reads nothing before the last 64 entries of a long header (property)", () => {
    fc.assert(
      fc.property(
        aSetup,
        fc.array(padded(anEntry), { maxLength: 3000 }),
        fc.array(anEntry.filter((e) => e.trim() !== ""), { minLength: 64, maxLength: 64 }),
        ({ trust, peer }, before, last) => {
          const resolver = compileTrust(toConfig(trust));
          expect(resolver.clientIp(peer, [...before, ...last].join(","))).toBe(resolver.clientIp(peer, last.join(",")));
        },
      ),
      { numRuns: 300 },
    );
  });
});
