import type { Authenticator } from "../auth/authenticator.js";
import { consumerOf, isModelFree, missingScopes, modelRefusal } from "../auth/consumer-policy.js";
import { HttpError } from "../errors/http.js";
import { readAiBodyThen } from "./body.js";
import type { Done, RequestResources, Run, StageFactory } from "./types.js";
import type { RequestContext } from "./types.js";
import type { AuthOutcome } from "../auth/authenticator.js";
import type { Identity } from "../compile/identity.js";
import type { CompiledConsumer as Consumer } from "../compile/snapshot.js";
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

/** What the providers made of the request so far. */
interface Tally {
  invalid: { provider: string; reason: string; description: string } | null;
  unavailable: string | null;
}

/**
 * Authentication and consumer policy (DESIGN.md 5) on one route: any one of
 * the route's providers must accept the caller (401 otherwise, with
 * WWW-Authenticate); the identity maps to a declared consumer (or the
 * provider's `defaultConsumer`); the route's scopes must all be held (token
 * scopes ∪ consumer scopes, 403 otherwise); the consumer's model allow-list
 * must admit the body's model (403; the same rules explain applies,
 * auth/consumer-policy.ts).
 */
class RouteAuth {
  private readonly providers: readonly Authenticator[];

  constructor(
    private readonly route: CompiledRoute,
    private readonly resources: RequestResources,
  ) {
    this.providers = route.auth.map((name) => resources.authenticators.get(name)!);
  }

  /** The stage: synchronous while the providers answer synchronously (API keys, cached JWTs). */
  readonly run = (ctx: RequestContext, next: Run, done: Done): void => {
    const tally: Tally = { invalid: null, unavailable: null };
    const identity = this.identify(ctx, 0, tally);
    if (identity instanceof Promise) {
      identity.then((id) => this.admit(ctx, next, done, id, tally)).catch(done);
      return;
    }
    this.admit(ctx, next, done, identity, tally);
  };

  /** Tries providers from `i` on. */
  private identify(ctx: RequestContext, i: number, tally: Tally): Identity | null | Promise<Identity | null> {
    for (; i < this.providers.length; i++) {
      const provider = this.providers[i]!;
      const outcome = provider.authenticate(ctx.req.headers);
      if (outcome instanceof Promise) {
        const at = i;
        return outcome.then((o) => this.record(provider, o, tally) ?? this.identify(ctx, at + 1, tally));
      }
      const identity = this.record(provider, outcome, tally);
      if (identity !== null) return identity;
    }
    return null;
  }

  private record(provider: Authenticator, outcome: AuthOutcome, tally: Tally): Identity | null {
    if (outcome.kind === "ok") return outcome.identity;
    if (outcome.kind === "invalid") {
      this.resources.metrics.authFailures.inc({ provider: provider.name, reason: outcome.reason });
      const log = this.resources.logger;
      if (log.isLevelEnabled("debug")) log.debug({ provider: provider.name, reason: outcome.reason }, "credentials refused");
      tally.invalid ??= { provider: provider.name, reason: outcome.reason, description: outcome.description };
    } else if (outcome.kind === "unavailable") tally.unavailable ??= provider.name;
    return null;
  }

  private rejection(tally: Tally): HttpError {
    if (tally.invalid !== null) {
      return new HttpError("invalid_credentials", tally.invalid.description, { headers: { "www-authenticate": challenge("invalid_token", tally.invalid.description) } });
    }
    if (tally.unavailable !== null) {
      return new HttpError("auth_unavailable", `auth provider ${tally.unavailable} cannot verify credentials right now`, { headers: { "retry-after": "5" } });
    }
    this.resources.metrics.authFailures.inc({ provider: "none", reason: "missing" });
    return new HttpError("missing_credentials", `this route needs credentials (${this.route.auth.join(" or ")})`, { headers: { "www-authenticate": challenge() } });
  }

  private admit(ctx: RequestContext, next: Run, done: Done, identity: Identity | null, tally: Tally): void {
    if (identity === null) {
      done(this.rejection(tally));
      return;
    }
    ctx.identity = identity;
    const consumer = consumerOf(identity, this.resources.consumers, this.resources.defaultConsumers);
    ctx.consumer = consumer ?? null;
    const required = this.route.scopes;
    const missing = missingScopes(required, identity, consumer);
    if (missing.length > 0) {
      this.resources.metrics.authFailures.inc({ provider: identity.provider ?? "none", reason: "scope" });
      done(
        new HttpError("insufficient_scope", `missing scope ${missing.join(", ")}`, {
          headers: { "www-authenticate": challenge("insufficient_scope", undefined, required.join(" ")) },
        }),
      );
      return;
    }
    if (consumer?.models === undefined || !this.route.ai || isModelFree(ctx.req.method ?? "GET", ctx.path)) {
      next(ctx, done);
      return;
    }
    // The callback runs from the request's 'end' (or 'data') event: a throw in the chain must not escape into the stream.
    readAiBodyThen(ctx, this.resources.maxBodyBytes, (err) => {
      try {
        const refused = err ?? this.modelRefused(ctx, identity, consumer);
        if (refused === undefined) next(ctx, done);
        else done(refused);
      } catch (failure) {
        done(failure);
      }
    });
  }

  private modelRefused(ctx: RequestContext, identity: Identity, consumer: Consumer): HttpError | undefined {
    const refusal = modelRefusal(consumer, true, ctx.req.method ?? "GET", ctx.path, ctx.model);
    if (refusal === null) return undefined;
    this.resources.metrics.authFailures.inc({ provider: identity.provider ?? "none", reason: "model" });
    return new HttpError("model_not_allowed", refusal);
  }
}

/** Routes without `auth` leave this stage out. */
export const authStage: StageFactory = {
  name: "auth",
  create: (route, resources) => (authRequired(route) ? { run: new RouteAuth(route, resources).run } : null),
};
