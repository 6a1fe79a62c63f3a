import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Logger } from "pino";
import type { CompiledRoute } from "../compile/route.js";
import type { Snapshot } from "../compile/snapshot.js";
import type { PluginEntry } from "../config/types.js";
import { ErrorCode } from "../errors/codes.js";
import { AigwError } from "../errors/errors.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import { BUILTINS } from "./builtin/index.js";
import { compileUserSchema, describeErrors } from "./builtin/requests.js";
import { customHooks, type PluginInstance } from "./instance.js";
import { firstLine, importPluginModule, pluginOf } from "./modules.js";
import { planPlugins } from "./order.js";
import { pluginPaths } from "./paths.js";
import type { RoutePlugins, RuntimeStep } from "./run.js";
import { pluginStage } from "./stage.js";
import type { PluginPhase, PluginRunner, RequestResources, Stage } from "../pipeline/types.js";
import type { Plugin, PluginLogger } from "./types.js";

/**
 * The names response hooks remove from every answer that no hook before
 * them reads (an upstream's answer reaches the proxy only after every step
 * ran, so all `responders` see it, in this order). A hook that does not say
 * what it reads (custom plugins) ends the list.
 */
function foldableStrips(responders: readonly PluginInstance[]): string[] {
  const out: string[] = [];
  const read = new Set<string>();
  for (const plugin of responders) {
    for (const name of plugin.hooks.strips ?? []) if (!read.has(name)) out.push(name);
    if (plugin.hooks.reads === undefined) break;
    for (const name of plugin.hooks.reads) read.add(name);
  }
  return out;
}

function adapt(logger: Logger): PluginLogger {
  return {
    debug: (m, f) => logger.debug(f ?? {}, m),
    info: (m, f) => logger.info(f ?? {}, m),
    warn: (m, f) => logger.warn(f ?? {}, m),
    error: (m, f) => logger.error(f ?? {}, m),
  };
}

/**
 * The plugin instances of one loaded config: `create` ran once per entry
 * (a gateway plugin once for all routes). Held by the generation.
 */
export class PreparedPlugins implements PluginRunner {
  private readonly plans = new Map<number, RoutePlugins | null>();

  constructor(
    readonly gatewayEntries: readonly PluginEntry[],
    private readonly gateway: readonly PluginInstance[],
    private readonly routes: ReadonlyMap<number, readonly PluginInstance[]>,
    private readonly loggers: ReadonlyMap<PluginInstance, Logger>,
  ) {}

  stage(phase: PluginPhase, route: CompiledRoute, resources: RequestResources): Stage | null {
    const plan = this.planFor(route, resources.metrics, resources.logger);
    return plan === null ? null : pluginStage(phase, plan, route, resources);
  }

  responseStrips(route: CompiledRoute, resources: RequestResources): readonly string[] {
    return this.planFor(route, resources.metrics, resources.logger)?.responseStrips ?? [];
  }

  /** The steps of a route (null without plugins), worked out once per route. */
  planFor(route: CompiledRoute, metrics: GatewayMetrics, logger: Logger): RoutePlugins | null {
    const known = this.plans.get(route.index);
    if (known !== undefined) return known;
    const steps = planPlugins(this.gatewayEntries, route.plugins, route.ai);
    let plan: RoutePlugins | null = null;
    if (steps.length > 0) {
      const own = this.routes.get(route.index) ?? [];
      const runtime = steps.map((s) => ({
        phase: s.phase,
        step: { concurrent: s.concurrent, members: s.plugins.map((p) => (p.source === "gateway" ? this.gateway[p.index]! : own[p.index]!)) } as RuntimeStep,
      }));
      const ordered = runtime.map((r) => r.step);
      const all = ordered.flatMap((step) => step.members);
      // The plugins with a hook among the first k steps, for every k: a run that entered k steps calls these.
      const upTo = (has: (p: PluginInstance) => boolean): PluginInstance[][] =>
        ordered.reduce<PluginInstance[][]>((acc, step) => [...acc, [...acc[acc.length - 1]!, ...step.members.filter(has)]], [[]]);
      const responders = upTo((p) => p.hooks.response !== undefined);
      plan = {
        steps: ordered,
        accessSteps: runtime.filter((r) => r.phase === "access").length,
        shared: {
          metrics,
          logger,
          loggers: this.loggers,
          hasResponseHooks: all.some((p) => p.hooks.response !== undefined),
          hasCompleteHooks: all.some((p) => p.hooks.complete !== undefined),
          steps: ordered,
          responders,
          guards: upTo((p) => p.hooks.guard !== undefined),
        },
        responseStrips: foldableStrips(responders[ordered.length]!),
      };
    }
    this.plans.set(route.index, plan);
    return plan;
  }
}

export interface PrepareOptions {
  logger: Logger;
  maxBodyBytes?: number;
  /**
   * Directories besides the config file's that may hold plugin modules
   * (`serve --allow-plugin-path`), absolute or relative to the process's
   * working directory. A module anywhere else is refused.
   */
  allowPluginPaths?: readonly string[];
}

/**
 * Builds the plugin instances of a snapshot, before it is served: custom
 * modules are imported (once per file, only from the config's directory or
 * an allowed one), their configs checked against
 * their schema (defaults filled) and `create` called; built-ins are
 * created from their checked configs (`json-schema` reads and compiles its
 * file). Any failure rejects, and the snapshot is not served.
 */
export async function preparePlugins(snapshot: Snapshot, options: PrepareOptions): Promise<PreparedPlugins> {
  const baseDir = dirname(resolve(snapshot.file));
  const paths = pluginPaths(baseDir, options.allowPluginPaths ?? []);
  const maxBodyBytes = options.maxBodyBytes ?? snapshot.config.server.limits.maxBodyBytes;
  const modules = new Map<string, Promise<Plugin>>();
  const loggers = new Map<PluginInstance, Logger>();
  let made = 0;

  const loadModule = (module: string): Promise<Plugin> => {
    let p = modules.get(module);
    if (p === undefined) {
      p = importPluginModule(module, paths).then((mod) => {
        const plugin = pluginOf(mod);
        if (typeof plugin === "string") throw new Error(plugin);
        return plugin;
      });
      modules.set(module, p);
    }
    return p;
  };

  const instance = async (entry: PluginEntry, where: string): Promise<PluginInstance> => {
    if (++made % 200 === 0) await yieldToEventLoop();
    const logger = options.logger.child({ plugin: entry.name });
    const config = structuredClone((entry.config) as Record<string, unknown>);
    let out: PluginInstance;
    if (entry.module === undefined) {
      const builtin = BUILTINS.get(entry.name);
      if (builtin === undefined) throw new Error(`${where}: unknown plugin ${JSON.stringify(entry.name)}`);
      const hooks = await builtin.create(config, { baseDir, maxBodyBytes, logger, readFile: (path) => readFile(path, "utf8") });
      out = { name: entry.name, custom: false, needsBody: builtin.needsBody, hooks };
    } else {
      let plugin: Plugin;
      try {
        plugin = await loadModule(entry.module);
      } catch (err) {
        if (AigwError.is(err) && err.code === ErrorCode.ConfigInvalid) throw new Error(`${where}: ${err.message}`, { cause: err });
        throw new Error(`${where}: module ${entry.module} failed to load: ${firstLine(err)}`, { cause: err });
      }
      if (plugin.schema !== undefined) {
        const validate = await compileUserSchema(plugin.schema, true);
        // Defaults the schema declares are filled in (on the copy create receives).
        if (!validate(config)) throw new Error(`${where}: config does not match the schema of ${entry.module}: ${describeErrors(validate.errors)}`);
      }
      let hooks: unknown;
      try {
        hooks = await plugin.create(config, { name: entry.name, baseDir, log: adapt(logger) });
      } catch (err) {
        throw new Error(`${where}: create() of ${entry.module} failed: ${firstLine(err)}`, { cause: err });
      }
      if (hooks === null || typeof hooks !== "object") throw new Error(`${where}: create() of ${entry.module} returned no hooks object`);
      out = { name: entry.name, custom: true, needsBody: true, hooks: customHooks(hooks) };
    }
    loggers.set(out, logger);
    return out;
  };

  const gatewayEntries = snapshot.config.gateway.plugins;
  const gateway: PluginInstance[] = [];
  for (const [i, entry] of gatewayEntries.entries()) gateway.push(await instance(entry, `gateway.plugins[${i}] (${entry.name})`));
  const routes = new Map<number, PluginInstance[]>();
  for (const route of snapshot.routes) {
    if (route.plugins.length === 0) continue;
    const list: PluginInstance[] = [];
    for (const [j, entry] of route.plugins.entries()) list.push(await instance(entry, `route ${route.name} plugins[${j}] (${entry.name})`));
    routes.set(route.index, list);
  }
  return new PreparedPlugins(gatewayEntries, gateway, routes, loggers);
}
