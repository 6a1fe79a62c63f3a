import type { AuthProvider } from "../config/types.js";
import { ApiKeyAuthenticator } from "./api-key.js";
import type { Authenticator } from "./authenticator.js";
import { JwtAuthenticator } from "./jwt.js";
import { OidcAuthenticator, type Discover } from "./oidc.js";

/** The run-time authenticator of a provider definition. */
export function createAuthenticator(def: AuthProvider, options: { discover?: Discover } = {}): Authenticator {
  switch (def.type) {
    case "apiKey":
      return new ApiKeyAuthenticator(def);
    case "jwt":
      return new JwtAuthenticator(def);
    case "oidc":
      return new OidcAuthenticator(def, options.discover);
  }
}
