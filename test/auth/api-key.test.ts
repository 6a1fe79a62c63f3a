import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiKeyAuthenticator } from "../../src/auth/api-key.js";

const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

const keys = new ApiKeyAuthenticator({
  name: "keys",
  type: "apiKey",
  keys: [
    { id: "from-env", consumer: "team-a", value: "sk-team-a-0001", scopes: ["chat"] },
    // A digest pasted in upper case is the same digest.
    { id: "by-digest", consumer: "team-b", sha256: sha256("sk-team-b-0002").toUpperCase() },
  ],
});

describe("API keys", () => {
  it("accepts a key given by value or by digest, from Authorization: Bearer or x-api-key", () => {
    expect(keys.authenticate({ authorization: "Bearer sk-team-a-0001" })).toEqual({
      kind: "ok",
      identity: { provider: "keys", subject: "team-a", scopes: ["chat"], claims: { keyId: "from-env" } },
    });
    expect(keys.authenticate({ "x-api-key": "sk-team-b-0002" })).toMatchObject({ kind: "ok", identity: { subject: "team-b", claims: { keyId: "by-digest" } } });
  });

  it("refuses any other key as unknown_key, and leaves absent and JWT-shaped credentials to others", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }).filter((k) => k !== "sk-team-a-0001" && k !== "sk-team-b-0002"), (key) => {
        expect(keys.authenticate({ "x-api-key": key })).toEqual({ kind: "invalid", reason: "unknown_key", description: "the API key is not valid" });
      }),
    );
    // The digest of a key is not the key.
    expect(keys.authenticate({ "x-api-key": sha256("sk-team-a-0001") }).kind).toBe("invalid");
    expect(keys.authenticate({ "x-api-key": "sk-team-a-0001 " }).kind).toBe("invalid");
    expect(keys.authenticate({})).toEqual({ kind: "absent" });
    expect(keys.authenticate({ "x-api-key": "" })).toEqual({ kind: "absent" });
    expect(keys.authenticate({ authorization: "Bearer aaa.bbb.ccc" })).toEqual({ kind: "absent" });
  });
});
