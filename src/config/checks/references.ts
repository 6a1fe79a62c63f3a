import { didYouMean } from "../suggest.js";
import type { Path } from "../pointer.js";
import type { CheckContext, Declaration } from "./context.js";

/** Every name used somewhere resolves to a declaration of the right kind. */
export function checkReferences(ctx: CheckContext): void {
  const { config, names } = ctx;
  const ref = (
    rule: string,
    path: Path,
    kind: string,
    name: string,
    table: ReadonlyMap<string, Declaration>,
    owner: string,
  ): void => {
    if (table.has(name) || ctx.isUnset(path)) return;
    ctx.reporter.report(
      "error",
      rule,
      path,
      `${owner} references ${kind} ${JSON.stringify(name)}${table.size === 0 ? `, but no ${kind} is declared` : ""}${didYouMean(name, table.keys())}`,
    );
  };

  config.routes.forEach((route, i) => {
    const owner = `route ${JSON.stringify(route.name)}`;
    const base: Path = ["routes", i];
    if (route.upstream !== undefined) ref("route.upstream.unknown", [...base, "upstream"], "upstream", route.upstream, names.upstreams, owner);
    route.split?.forEach((s, j) =>
      ref("route.split.upstream.unknown", [...base, "split", j, "upstream"], "upstream", s.upstream, names.upstreams, owner),
    );
    route.fallback?.forEach((f, j) => ref("route.fallback.unknown", [...base, "fallback", j], "upstream", f, names.upstreams, owner));
    route.auth?.forEach((a, j) => ref("route.auth.unknown", [...base, "auth", j], "auth provider", a, names.auth, owner));
    route.rateLimits.forEach((p, j) =>
      ref("route.rate-limit.unknown", [...base, "rateLimits", j], "rate-limit policy", p, names.rateLimits, owner),
    );
  });

  config.consumers.forEach((consumer, i) => {
    consumer.rateLimits.forEach((p, j) =>
      ref("consumer.rate-limit.unknown", ["consumers", i, "rateLimits", j], "rate-limit policy", p, names.rateLimits, `consumer ${JSON.stringify(consumer.name)}`),
    );
  });

  config.gateway.rateLimits.forEach((p, j) =>
    ref("gateway.rate-limit.unknown", ["gateway", "rateLimits", j], "rate-limit policy", p, names.rateLimits, "gateway.rateLimits"),
  );

  config.auth.forEach((provider, i) => {
    if (provider.defaultConsumer !== undefined) {
      ref("auth.default-consumer.unknown", ["auth", i, "defaultConsumer"], "consumer", provider.defaultConsumer, names.consumers, `auth provider ${JSON.stringify(provider.name)}`);
    }
  });
}
