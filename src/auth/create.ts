import type { AuthProvider } from "../config/types.js";
import { ApiKeyAuthenticator } from "./api-key.js";
import type { Authenticator } from "./authenticator.js";
import type { Discover } from "./oidc.js";

/** The JWT and OIDC modules, loaded only by configs that use them (they pull in jose and openid-client). */
export interface AuthModules {
  jwt?: typeof import("./jwt.js");
  oidc?: typeof import("./oidc.js");
}

/** The run-time authenticator of a provider definition (JWT and OIDC modules loaded beforehand by `loadModules`). */
export function createAuthenticator(def: AuthProvider, modules: AuthModules, options: { discover?: Discover; now?: () => number } = {}): Authenticator {
  switch (def.type) {
    case "apiKey":
      return new ApiKeyAuthenticator(def);
    case "jwt":
      return new modules.jwt!.JwtAuthenticator(def, options.now);
    case "oidc":
      return new modules.oidc!.OidcAuthenticator(def, options.discover, options.now);
  }
}
