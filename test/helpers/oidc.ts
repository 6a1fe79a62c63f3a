import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1:0: discovery, JWKS,
 * and JWT access tokens for the client-credentials grant (audience `aigw`).
 */
export class TestOidcProvider {
  issuer = "";
  private server: Server | null = null;

  async start(): Promise<this> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: "oidc-test-key", alg: "RS256", use: "sig" };
    const provider = new Provider(this.issuer, {
      clients: [
        { client_id: "svc-billing", client_secret: "billing-secret-123456789", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] },
      ],
      jwks: { keys: [jwk] },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => "urn:aigw",
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: "chat admin", audience: "aigw", accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
        },
      },
    });
    server.on("request", provider.callback());
    this.server = server;
    return this;
  }

  /** A client-credentials access token (a JWT signed by the provider). */
  async token(scope = "chat"): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("svc-billing:billing-secret-123456789").toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials", scope, resource: "urn:aigw" }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (body.access_token === undefined) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === null ? r() : this.server.close(() => r())));
  }
}
