import type { Authenticator } from "../auth/authenticator.js";
import { consumerOf, isModelFree, missingScopes, modelRefusal } from "../auth/consumer-policy.js";
import { HttpError } from "../errors/http.js";
import { readAiBody } from "./body.js";
import type { Handler, StageFactory } from "./types.js";
import type { RequestContext } from "./types.js";
import type { AuthOutcome } from "../auth/authenticator.js";
import type { Identity } from "../compile/identity.js";
import type { Consumer } from "../config/types.js";
import type { CompiledRoute } from "../compile/route.js";

const REALM = 'Bearer realm="aigw"';

/** Whether a route's chain has the auth stage (routes without `auth` are public). */
export function authRequired(route: CompiledRoute): boolean {
  return route.auth.length > 0;
}

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
    if (!authRequired(route)) return null;
    const providers: Authenticator[] = route.auth.map((name) => resources.authenticators.get(name)!);
    const required = route.scopes;
    const failures = resources.metrics.authFailures;
    const maxBodyBytes = resources.maxBodyBytes;

    /** What the providers made of the request so far. */
    interface Tally {
      invalid: { provider: string; reason: string; description: string } | null;
      unavailable: string | null;
    }

    /** Tries providers from `i` on; synchronous while they answer synchronously (API keys, cached JWTs). */
    const identify = (ctx: RequestContext, i: number, tally: Tally): Identity | null | Promise<Identity | null> => {
      for (; i < providers.length; i++) {
        const provider = providers[i]!;
        const outcome = provider.authenticate(ctx.req.headers);
        if (outcome instanceof Promise) {
          const at = i;
          return outcome.then((o) => (record(provider, o, tally) ?? identify(ctx, at + 1, tally)));
        }
        const identity = record(provider, outcome, tally);
        if (identity !== null) return identity;
      }
      return null;
    };
    const record = (provider: Authenticator, outcome: AuthOutcome, tally: Tally): Identity | null => {
      if (outcome.kind === "ok") return outcome.identity;
      if (outcome.kind === "invalid") {
        failures.inc({ provider: provider.name, reason: outcome.reason });
        if (resources.logger.isLevelEnabled("debug")) resources.logger.debug({ provider: provider.name, reason: outcome.reason }, "credentials refused");
        tally.invalid ??= { provider: provider.name, reason: outcome.reason, description: outcome.description };
      } else if (outcome.kind === "unavailable") tally.unavailable ??= provider.name;
      return null;
    };

    const rejection = (tally: Tally): HttpError => {
      if (tally.invalid !== null) {
        return new HttpError("invalid_credentials", tally.invalid.description, { headers: { "www-authenticate": challenge("invalid_token", tally.invalid.description) } });
      }
      if (tally.unavailable !== null) {
        return new HttpError("auth_unavailable", `auth provider ${tally.unavailable} cannot verify credentials right now`, { headers: { "retry-after": "5" } });
      }
      failures.inc({ provider: "none", reason: "missing" });
      return new HttpError("missing_credentials", `this route needs credentials (${route.auth.join(" or ")})`, { headers: { "www-authenticate": challenge() } });
    };

    const modelCheck = (ctx: RequestContext, identity: Identity, consumer: Consumer): void => {
      const refusal = modelRefusal(consumer, true, ctx.req.method ?? "GET", ctx.path, ctx.model);
      if (refusal === null) return;
      failures.inc({ provider: identity.provider ?? "none", reason: "model" });
      throw new HttpError("model_not_allowed", refusal);
    };

    const admit = (ctx: RequestContext, next: Handler, identity: Identity | null, tally: Tally): Promise<void> => {
      if (identity === null) return Promise.reject(rejection(tally));
      ctx.identity = identity;
      const consumer = consumerOf(identity, resources.consumers, resources.defaultConsumers);
      ctx.consumer = consumer ?? null;
      const missing = missingScopes(required, identity, consumer);
      if (missing.length > 0) {
        failures.inc({ provider: identity.provider ?? "none", reason: "scope" });
        return Promise.reject(
          new HttpError("insufficient_scope", `missing scope ${missing.join(", ")}`, {
            headers: { "www-authenticate": challenge("insufficient_scope", undefined, required.join(" ")) },
          }),
        );
      }
      if (consumer?.models === undefined || !route.ai || isModelFree(ctx.req.method ?? "GET", ctx.path)) return next(ctx);
      return readAiBody(ctx, maxBodyBytes).then(() => {
        modelCheck(ctx, identity, consumer);
        return next(ctx);
      });
    };

    return (ctx, next) => {
      const tally: Tally = { invalid: null, unavailable: null };
      let identity: Identity | null | Promise<Identity | null>;
      try {
        identity = identify(ctx, 0, tally);
      } catch (err) {
        return Promise.reject(err);
      }
      if (identity instanceof Promise) return identity.then((id) => admit(ctx, next, id, tally));
      return admit(ctx, next, identity, tally);
    };
  },
};
