import { toPointer, type Path } from "./pointer.js";
import type { StageResult } from "./diagnostic.js";
import type { Interpolated, Mode } from "./interpolate.js";
import { createReporter, locate, type Reporter, type SourceDocument } from "./source.js";
import type { GatewayConfig } from "./types.js";
import type { Check, CheckContext, Declaration } from "./checks/context.js";
import { checkReferences } from "./checks/references.js";
import { checkRoutes } from "./checks/routes.js";
import { checkUpstreams } from "./checks/upstreams.js";
import { checkAuth } from "./checks/auth.js";
import { checkServer } from "./checks/server.js";
import { checkPolicies } from "./checks/policies.js";
import { checkPlugins } from "./checks/plugins.js";

export interface ResolveOptions {
  mode: Mode;
  /** Tells whether a file named by the config exists (path as written, relative to the config's folder). */
  fileExists: (path: string) => boolean;
}

const checks: readonly Check[] = [checkReferences, checkRoutes, checkUpstreams, checkAuth, checkServer, checkPolicies, checkPlugins];

/**
 * Stage 4: semantic checks over a schema-valid config: names unique per
 * kind, every reference resolves, values that the schema cannot relate are
 * consistent. Reports every finding, not the first.
 */
export function resolveConfig(
  src: SourceDocument,
  config: GatewayConfig,
  interpolated: Pick<Interpolated, "unset">,
  options: ResolveOptions,
): StageResult<GatewayConfig> {
  const reporter = createReporter(src);
  const names = {
    upstreams: declare(src, reporter, config.upstreams, "upstreams", "upstream"),
    auth: declare(src, reporter, config.auth, "auth", "auth provider"),
    consumers: declare(src, reporter, config.consumers, "consumers", "consumer"),
    rateLimits: declare(src, reporter, config.rateLimits, "rateLimits", "rate-limit policy"),
    routes: declare(src, reporter, config.routes, "routes", "route"),
  };
  const ctx: CheckContext = {
    config,
    reporter,
    mode: options.mode,
    names,
    fileExists: options.fileExists,
    isUnset: (path: Path) => interpolated.unset.has(toPointer(path)),
  };
  for (const check of checks) check(ctx);
  const failed = reporter.diagnostics.some((d) => d.severity === "error");
  return { value: failed ? undefined : config, diagnostics: reporter.diagnostics };
}

const ruleKind: Record<string, string> = {
  upstreams: "upstream",
  auth: "auth",
  consumers: "consumer",
  rateLimits: "rate-limit",
  routes: "route",
};

function declare(
  src: SourceDocument,
  reporter: Reporter,
  items: readonly { name: string }[] | undefined,
  key: string,
  kind: string,
): Map<string, Declaration> {
  const table = new Map<string, Declaration>();
  (items ?? []).forEach((item, index) => {
    const path: Path = [key, index, "name"];
    const first = table.get(item.name);
    if (first !== undefined) {
      const { line } = locate(src, first.path);
      reporter.report("error", `${ruleKind[key]}.name.duplicate`, path, `duplicate ${kind} name ${JSON.stringify(item.name)} (first declared on line ${line})`);
      return;
    }
    table.set(item.name, { index, path });
  });
  return table;
}
