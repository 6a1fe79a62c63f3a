import { isAbsolute, resolve } from "node:path";
import type { ErrorObject } from "ajv";
import type { Diagnostic } from "../config/diagnostic.js";
import type { Mode } from "../config/interpolate.js";
import type { Path } from "../config/pointer.js";
import { createReporter, type SourceDocument } from "../config/source.js";
import type { GatewayConfig, PluginEntry } from "../config/types.js";
import { reportSchemaErrors } from "../config/validate.js";
import { compileUserSchema } from "./builtin/requests.js";
import { firstLine, importPluginModule, pluginOf } from "./modules.js";

export interface PluginCheckOptions {
  mode: Mode;
  /** Folder of the config file: module and schema paths are relative to it. */
  baseDir: string;
  readFile: (path: string) => Promise<string>;
  fileExists: (path: string) => boolean;
  secretValues?: ReadonlySet<string>;
}

/** Every plugin entry of the config, with where it is. */
export function pluginEntries(config: GatewayConfig): { entry: PluginEntry; path: Path }[] {
  const out: { entry: PluginEntry; path: Path }[] = [];
  (config.gateway?.plugins ?? []).forEach((entry, i) => out.push({ entry, path: ["gateway", "plugins", i] }));
  (config.routes ?? []).forEach((route, i) => (route.plugins ?? []).forEach((entry, j) => out.push({ entry, path: ["routes", i, "plugins", j] })));
  return out;
}

/** Whether the config names files that `checkPluginFiles` must open (custom modules, JSON Schema files). */
export function needsPluginFileCheck(config: GatewayConfig): boolean {
  return pluginEntries(config).some(({ entry }) => entry.module !== undefined || entry.name === "json-schema");
}

/**
 * The checks that need the files a config's plugins name, run after the
 * pure pipeline (in `aigw validate` and the other commands, and in the
 * build worker before a config is served): a custom module is imported,
 * must export a plugin, and the entry's `config` must match the JSON Schema
 * it exports (findings at the config's own positions, with the gateway
 * schema's rule ids); a `json-schema` plugin's file must be a JSON Schema.
 * Files that do not exist were reported by the semantic checks already.
 */
export async function checkPluginFiles(source: SourceDocument, config: GatewayConfig, options: PluginCheckOptions): Promise<Diagnostic[]> {
  const reporter = createReporter(source);
  const abs = (file: string): string => (isAbsolute(file) ? file : resolve(options.baseDir, file));
  const modules = new Map<string, Promise<unknown>>();
  for (const { entry, path } of pluginEntries(config)) {
    const name = JSON.stringify(entry.name);
    if (entry.module !== undefined) {
      if (!options.fileExists(entry.module)) continue;
      const file = abs(entry.module);
      let mod: unknown;
      try {
        let pending = modules.get(file);
        if (pending === undefined) {
          pending = importPluginModule(file);
          modules.set(file, pending);
        }
        mod = await pending;
      } catch (err) {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: module ${JSON.stringify(entry.module)} failed to load: ${firstLine(err)}`);
        continue;
      }
      const plugin = pluginOf(mod);
      if (typeof plugin === "string") {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: module ${JSON.stringify(entry.module)} is not a plugin: ${plugin}`, {
          hint: 'export default { name: "x", schema: { type: "object" }, create(config) { return { request(ctx) {} }; } }',
        });
        continue;
      }
      if (plugin.schema === undefined) continue;
      let validate;
      try {
        validate = compileUserSchema(plugin.schema);
      } catch (err) {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: the schema module ${JSON.stringify(entry.module)} exports does not compile: ${firstLine(err)}`);
        continue;
      }
      const value = structuredClone(entry.config ?? {});
      if (!validate(value)) {
        // In validate mode a value still holding an unset ${VAR} is known by type only.
        const errors = (validate.errors ?? []).filter((e: ErrorObject) => !(options.mode === "validate" && typeof e.data === "string" && e.data.includes("${") && e.keyword !== "type"));
        reportSchemaErrors(errors, reporter, [...path, "config"], options.secretValues);
      }
    } else if (entry.name === "json-schema") {
      const file = (entry.config as { schema?: unknown } | undefined)?.schema;
      if (typeof file !== "string" || !options.fileExists(file)) continue;
      try {
        compileUserSchema(JSON.parse(await options.readFile(abs(file))) as unknown);
      } catch (err) {
        reporter.report("error", "plugin.schema.invalid", [...path, "config", "schema"], `plugin ${name}: ${JSON.stringify(file)} is not a valid JSON Schema: ${firstLine(err)}`);
      }
    }
  }
  return reporter.diagnostics;
}
