import { parseDuration } from "../duration.js";
import { BUILTIN_PLUGINS } from "../kinds.js";
import { didYouMean } from "../suggest.js";
import type { Path } from "../pointer.js";
import type { PluginEntry } from "../types.js";
import type { CheckContext } from "./context.js";
import { serveSeverity } from "./context.js";

export function checkPolicies(ctx: CheckContext): void {
  const { config, reporter } = ctx;
  config.rateLimits.forEach((policy, i) => {
    if (parseDuration(policy.window) === 0) {
      reporter.report("error", "rate-limit.window.zero", ["rateLimits", i, "window"], `rate-limit policy ${JSON.stringify(policy.name)}: a window of zero cannot refill`);
    }
  });

  const models = new Map<string, number>();
  config.pricing.forEach((price, i) => {
    const first = models.get(price.model);
    if (first !== undefined) {
      reporter.report("error", "pricing.model.duplicate", ["pricing", i, "model"], `pricing lists model ${JSON.stringify(price.model)} twice (also item ${first + 1})`);
    } else models.set(price.model, i);
  });

  const checkPlugins = (plugins: readonly PluginEntry[] | undefined, base: Path): void => {
    plugins?.forEach((plugin, i) => {
      const path = [...base, i];
      if (plugin.module !== undefined) {
        if (!ctx.fileExists(plugin.module)) {
          reporter.report(serveSeverity(ctx), "plugin.module.missing", [...path, "module"], `plugin ${JSON.stringify(plugin.name)}: module ${JSON.stringify(plugin.module)} does not exist`);
        }
        return;
      }
      if (!BUILTIN_PLUGINS.includes(plugin.name)) {
        reporter.report("error", "plugin.unknown", [...path, "name"], `unknown plugin ${JSON.stringify(plugin.name)}${didYouMean(plugin.name, BUILTIN_PLUGINS)}`, {
          hint: `built-in plugins: ${BUILTIN_PLUGINS.join(", ")}; a custom plugin needs \`module\``,
        });
      }
    });
  };
  checkPlugins(config.gateway.plugins, ["gateway", "plugins"]);
  config.routes.forEach((route, i) => checkPlugins(route.plugins, ["routes", i, "plugins"]));
}
