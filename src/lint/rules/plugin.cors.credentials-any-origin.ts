import type { Path } from "../../config/pointer.js";
import type { PluginEntry } from "../../config/types.js";
import { isAnyOrigin, isNullOrigin } from "../../plugins/builtin/cors-origins.js";
import type { LintRule, RuleContext } from "../rule.js";

/**
 * Browsers refuse `Access-Control-Allow-Origin: *` with credentials, so a
 * config that asks for both usually means "echo whatever Origin comes",
 * which lets any site act as the signed-in user. The gateway answers such
 * origins `*` without credentials; this rule says the config is wrong.
 */
export const rule: LintRule = {
  id: "plugin.cors.credentials-any-origin",
  severity: "error",
  description: "A `cors` plugin with `credentials: true` that allows any origin (`*`, a host wildcard such as `https://*`, or `null`): any web site could act as the signed-in user.",
  hint: "list the web apps' origins (exact or `https://*.example.com`), or drop `credentials`",
  check(ctx: RuleContext) {
    const checkList = (plugins: readonly PluginEntry[] | undefined, base: Path, owner: string): void => {
      (plugins ?? []).forEach((entry, i) => {
        if (entry.module !== undefined || entry.name !== "cors") return;
        const config = entry.config as { origins?: unknown; credentials?: unknown } | undefined;
        if (config?.credentials !== true || !Array.isArray(config.origins)) return;
        config.origins.forEach((origin: unknown, j) => {
          if (typeof origin !== "string") return;
          const what = isAnyOrigin(origin) ? `any origin (${JSON.stringify(origin)})` : isNullOrigin(origin) ? 'the "null" origin' : null;
          if (what === null) return;
          ctx.report(
            [...base, i, "config", "origins", j],
            `${owner} plugin "cors" allows ${what} with credentials: browsers refuse it, and echoing the Origin instead would let every site act as the signed-in user`,
          );
        });
      });
    };
    checkList(ctx.config.gateway.plugins, ["gateway", "plugins"], "gateway");
    ctx.config.routes.forEach((route, i) => checkList(route.plugins, ["routes", i, "plugins"], `route ${JSON.stringify(route.name)}`));
  },
};
