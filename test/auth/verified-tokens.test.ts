import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JwtAuthenticator } from "../../src/auth/jwt.js";
import { VerifiedTokens } from "../../src/auth/verified-tokens.js";

const SECRET = "a-shared-secret-that-is-32-bytes-long!";
const ISSUER = "https://issuer.test/";

function sign(claims: Record<string, unknown>, exp: number, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer(ISSUER).setAudience("aigw").setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

function provider(clock: { t: number }): JwtAuthenticator {
  return new JwtAuthenticator({ name: "hs", issuer: ISSUER, audience: "aigw", algorithms: ["HS256"], secret: SECRET, clockToleranceMs: 0, header: "authorization", consumerClaim: "sub", scopesClaim: "scope", requireExp: true }, () => clock.t);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const seconds = () => Math.floor(Date.now() / 1000);

describe("verified-token cache", () => {
  it("verifies a token once, then answers the same token synchronously", async () => {
    const clock = { t: Date.now() };
    const p = provider(clock);
    const t = await sign({ sub: "team-a", scope: "chat" }, seconds() + 600);
    const first = p.authenticate(bearer(t));
    expect(first).toBeInstanceOf(Promise);
    expect((await first).kind).toBe("ok");
    const second = p.authenticate(bearer(t));
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toMatchObject({ kind: "ok", identity: { subject: "team-a", scopes: ["chat"] } });
  });

  it("never serves a token past its exp, and re-verifies after at most 5 minutes", async () => {
    const clock = { t: Date.now() };
    const p = provider(clock);
    const exp = seconds() + 600;
    const t = await sign({ sub: "u" }, exp);
    await p.authenticate(bearer(t));
    clock.t += 299_000;
    expect(p.authenticate(bearer(t))).not.toBeInstanceOf(Promise);
    clock.t += 2_000; // past the 5-minute cap
    expect(p.authenticate(bearer(t))).toBeInstanceOf(Promise);

    const shortClock = { t: Date.now() };
    const q = provider(shortClock);
    const shortExp = seconds() + 30;
    const s = await sign({ sub: "u" }, shortExp);
    await q.authenticate(bearer(s));
    shortClock.t = shortExp * 1000 - 1;
    expect(q.authenticate(bearer(s))).not.toBeInstanceOf(Promise);
    shortClock.t = shortExp * 1000;
    expect(q.authenticate(bearer(s))).toBeInstanceOf(Promise); // back to jose, which applies exp
  });

  it("keeps no failures, and a token differing in one byte is verified on its own", async () => {
    const clock = { t: Date.now() };
    const p = provider(clock);
    const good = await sign({ sub: "u" }, seconds() + 600);
    await p.authenticate(bearer(good));
    const forged = await sign({ sub: "u" }, seconds() + 600, "another-secret-that-is-32-bytes-long");
    for (let i = 0; i < 2; i++) {
      const outcome = p.authenticate(bearer(forged));
      expect(outcome).toBeInstanceOf(Promise);
      expect((await outcome).kind).toBe("invalid");
    }
    const tampered = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
    const outcome = p.authenticate(bearer(tampered));
    expect(outcome).toBeInstanceOf(Promise);
    expect((await outcome).kind).toBe("invalid");
  });

  it("holds at most maxEntries tokens, the oldest dropped first", () => {
    const clock = { t: 1_000_000 };
    const cache = new VerifiedTokens(() => clock.t, 3);
    const id = (s: string) => ({ provider: "p", subject: s, scopes: [], claims: {} });
    for (const s of ["a", "b", "c", "d"]) cache.set(s, id(s), undefined);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("d")?.subject).toBe("d");
    cache.set("e", id("e"), clock.t / 1000 - 1); // already expired: not kept
    expect(cache.get("e")).toBeUndefined();
  });
});
