import type { Authenticator } from "../auth/authenticator.js";
import { consumerOf, missingScopes, modelAllowed } from "../auth/consumer-policy.js";
import { HttpError } from "../errors/http.js";
import { readAiBody } from "./body.js";
import type { StageFactory } from "./order.js";

const REALM = 'Bearer realm="aigw"';

function challenge(error?: string, description?: string, scope?: string): string {
  let value = REALM;
  if (error !== undefined) value += `, error="${error}"`;
  if (description !== undefined) value += `, error_description="${description.replace(/["\\]/g, "")}"`;
  if (scope !== undefined) value += `, scope="${scope}"`;
  return value;
}

/**
 * Authentication and consumer policy (DESIGN.md 5): any one of the route's
 * providers must accept the caller (401 otherwise, with WWW-Authenticate);
 * the identity maps to a declared consumer (or the provider's
 * `defaultConsumer`); the route's scopes must all be held (token scopes ∪
 * consumer scopes, 403 otherwise); the consumer's model allow-list must
 * admit the body's model (403). Routes without `auth` leave this stage out.
 */
export const authStage: StageFactory = {
  name: "auth",
  create(route, resources) {
    if (route.auth.length === 0) return null;
    const providers: Authenticator[] = route.auth.map((name) => resources.authenticators.get(name)!);
    const required = route.scopes;
    const failures = resources.metrics.authFailures;

    return async (ctx, next) => {
      let invalid: { provider: string; reason: string; description: string } | null = null;
      let unavailable: string | null = null;
      for (const provider of providers) {
        const outcome = await provider.authenticate(ctx.req.headers);
        if (outcome.kind === "ok") {
          ctx.identity = outcome.identity;
          break;
        }
        if (outcome.kind === "invalid") {
          failures.inc({ provider: provider.name, reason: outcome.reason });
          invalid ??= { provider: provider.name, reason: outcome.reason, description: outcome.description };
        } else if (outcome.kind === "unavailable") unavailable ??= provider.name;
      }
      const identity = ctx.identity;
      if (identity === null) {
        if (invalid !== null) {
          throw new HttpError("invalid_credentials", invalid.description, { headers: { "www-authenticate": challenge("invalid_token", invalid.description) } });
        }
        if (unavailable !== null) {
          throw new HttpError("auth_unavailable", `auth provider ${unavailable} cannot verify credentials right now`, { headers: { "retry-after": "5" } });
        }
        failures.inc({ provider: "none", reason: "missing" });
        throw new HttpError("missing_credentials", `this route needs credentials (${route.auth.join(" or ")})`, { headers: { "www-authenticate": challenge() } });
      }
      const consumer = consumerOf(identity, resources.consumers, resources.defaultConsumers);
      ctx.consumer = consumer ?? null;
      const missing = missingScopes(required, identity, consumer);
      if (missing.length > 0) {
        failures.inc({ provider: identity.provider ?? "none", reason: "scope" });
        throw new HttpError("insufficient_scope", `missing scope ${missing.join(", ")}`, {
          headers: { "www-authenticate": challenge("insufficient_scope", undefined, required.join(" ")) },
        });
      }
      if (consumer?.models !== undefined) {
        await readAiBody(ctx, resources.maxBodyBytes);
        const model = ctx.model;
        if (model !== undefined && !modelAllowed(consumer, model)) {
          failures.inc({ provider: identity.provider ?? "none", reason: "model" });
          throw new HttpError("model_not_allowed", `consumer ${consumer!.name} may not use model ${model}`);
        }
      }
      return next(ctx);
    };
  },
};
