import { isIP } from "node:net";
import safeRegex from "safe-regex2";
import { AI_ONLY_PLUGINS } from "../kinds.js";
import type { Path } from "../pointer.js";
import { didYouMean } from "../suggest.js";
import type { PluginEntry, Route, Upstream } from "../types.js";
import type { CheckContext } from "./context.js";
import { serveSeverity } from "./context.js";
import { routeIsAi } from "./routes.js";

/** A guard pattern as the plugin compiles it: a leading `(?i)` ignores case. */
export function compileGuardPattern(pattern: string, extraFlags = ""): RegExp {
  const insensitive = pattern.startsWith("(?i)");
  return new RegExp(insensitive ? pattern.slice(4) : pattern, extraFlags + (insensitive ? "i" : ""));
}

/** Whether `text` is an IPv4/IPv6 address or CIDR. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf("/");
  const addr = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return false;
  if (slash === -1) return true;
  const bits = text.slice(slash + 1);
  return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32);
}

/**
 * Built-in plugin configs beyond what the schema checks (DESIGN.md 11):
 * guard patterns compile, guards detect something, CIDRs parse, JSON
 * Schema files exist; and warnings for plugins that cannot take effect
 * where they are (an AI-only plugin on a plain route, a per-consumer limit
 * for an undeclared consumer). Module configs are checked against their own schema later,
 * once the module is loaded (plugins/check.ts).
 */
export function checkPlugins(ctx: CheckContext): void {
  const { config, reporter } = ctx;
  const upstreams = new Map<string, Upstream>(config.upstreams.map((u) => [u.name, u]));
  const consumers = [...ctx.names.consumers.keys()];

  const checkEntry = (entry: PluginEntry, path: Path, route: Route | null): void => {
    if (entry.module !== undefined) return;
    const c = (entry.config) as Record<string, unknown>;
    const at = (...rest: (string | number)[]): Path => [...path, "config", ...rest];
    const name = JSON.stringify(entry.name);
    switch (entry.name) {
      case "prompt-guard":
      case "response-guard": {
        const patterns = (c.patterns as string[] | undefined) ?? [];
        const detectors = (c.detectors as string[] | undefined) ?? [];
        if (patterns.length === 0 && detectors.length === 0) {
          reporter.report("error", "plugin.config.invalid", at(), `plugin ${name} has neither \`detectors\` nor \`patterns\`: it would never match`, {
            hint: "list detectors (email, phone, card, apiKey) or regular expressions in patterns",
          });
        }
        patterns.forEach((pattern, j) => {
          if (ctx.isUnset(at("patterns", j))) return;
          let re: RegExp;
          try {
            re = compileGuardPattern(pattern);
          } catch (err) {
            reporter.report("error", "plugin.config.invalid", at("patterns", j), `plugin ${name}: pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, "")})`);
            return;
          }
          // Guards run on client text: a pattern that can backtrack exponentially would let one prompt stall the gateway.
          if (!safeRegex(re)) {
            reporter.report("error", "plugin.pattern.backtracking", at("patterns", j), `plugin ${name}: pattern ${JSON.stringify(pattern)} nests quantifiers (such as \`(a+)+\`), so a crafted text can make it backtrack exponentially`, {
              hint: "rewrite it without a quantifier inside a quantified group, e.g. `a+` instead of `(a+)+`",
            });
          }
        });
        break;
      }
      case "ip-allow":
      case "ip-deny":
        ((c.cidrs as string[] | undefined) ?? []).forEach((cidr, j) => {
          if (!ctx.isUnset(at("cidrs", j)) && !isCidr(cidr)) {
            reporter.report("error", "plugin.config.invalid", at("cidrs", j), `plugin ${name}: ${JSON.stringify(cidr)} is not an IP address or CIDR`, {
              hint: "write an address (10.1.2.3, 2001:db8::1) or a CIDR (10.0.0.0/8, 2001:db8::/32)",
            });
          }
        });
        break;
      case "json-schema": {
        const file = c.schema as string | undefined;
        if (file !== undefined && !ctx.isUnset(at("schema")) && !ctx.fileExists(file)) {
          reporter.report(serveSeverity(ctx), "plugin.schema.missing", at("schema"), `plugin ${name}: schema file ${JSON.stringify(file)} does not exist`);
        }
        break;
      }
      case "max-tokens":
        for (const consumer of Object.keys((c.consumers as Record<string, number> | undefined) ?? {})) {
          if (!ctx.names.consumers.has(consumer)) {
            reporter.report("warning", "plugin.consumer.unknown", at("consumers", consumer), `plugin ${name}: ${JSON.stringify(consumer)} is not a declared consumer${didYouMean(consumer, consumers)}`, {
              key: true,
              hint: "the limit then applies only to an authenticated subject of that name",
            });
          }
        }
        break;
    }
    if (route !== null && AI_ONLY_PLUGINS.has(entry.name) && !routeIsAi(route, upstreams)) {
      reporter.report("warning", "plugin.not-ai", [...path, "name"], `plugin ${name} reads prompts and completions, but route ${JSON.stringify(route.name)} has no AI upstream: it is left out`);
    }
  };

  config.gateway.plugins.forEach((entry, i) => checkEntry(entry, ["gateway", "plugins", i], null));
  config.routes.forEach((route, i) => route.plugins.forEach((entry, j) => checkEntry(entry, ["routes", i, "plugins", j], route)));
}
