import { isAbsolute, resolve } from "node:path";
import { clip } from "../errors/clip.js";
import type { ErrorObject } from "ajv";
import type { Diagnostic } from "../config/diagnostic.js";
import type { Mode } from "../config/interpolate.js";
import type { Path } from "../config/pointer.js";
import { createReporter, type SourceDocument } from "../config/source.js";
import type { GatewayConfig, PluginEntry } from "../config/types.js";
import { reportSchemaErrors } from "../config/validate.js";
import { compileUserSchema } from "./builtin/requests.js";
import { firstLine, importPluginModule, pluginOf } from "./modules.js";
import { checkPluginPath, NOT_LOADED_RULE, OUTSIDE_HINT, pluginPaths } from "./paths.js";

export interface PluginCheckOptions {
  mode: Mode;
  /** Folder of the config file: module and schema paths are relative to it. */
  baseDir: string;
  readFile: (path: string) => Promise<string>;
  fileExists: (path: string) => boolean;
  secretValues?: ReadonlySet<string>;
  /**
   * Import custom modules to check their configs against their schemas,
   * which runs their code. The review commands always pass it (`false`
   * unless `--load-plugins`); the serve-side build worker leaves it out, and
   * loads.
   */
  load?: boolean;
  /** Directories besides `baseDir` that may hold plugin modules (`--allow-plugin-path`), resolved against the process's cwd. */
  allowPluginPaths?: readonly string[];
}

/** Every plugin entry of the config, with where it is. */
export function pluginEntries(config: GatewayConfig): { entry: PluginEntry; path: Path }[] {
  const out: { entry: PluginEntry; path: Path }[] = [];
  config.gateway.plugins.forEach((entry, i) => out.push({ entry, path: ["gateway", "plugins", i] }));
  config.routes.forEach((route, i) => route.plugins.forEach((entry, j) => out.push({ entry, path: ["routes", i, "plugins", j] })));
  return out;
}

/** Whether the config names files that `checkPluginFiles` must open (custom modules, JSON Schema files). */
export function needsPluginFileCheck(config: GatewayConfig): boolean {
  return pluginEntries(config).some(({ entry }) => entry.module !== undefined || entry.name === "json-schema");
}

/**
 * The checks that need the files a config's plugins name, run after the
 * pure pipeline (in `aigw validate` and the other commands, and in the
 * build worker before a config is served): a custom module's path must stay
 * inside the config's directory or an allowed one (`plugin.module.outside`,
 * an error); then, when `load` allows, it is imported, must export a
 * plugin, and the entry's `config` must match the JSON Schema it exports
 * (findings at the config's own positions, with the gateway schema's rule
 * ids); when it does not, an info finding says the module was not loaded.
 * A `json-schema` plugin's file must be a JSON Schema. Files that do not
 * exist were reported by the semantic checks already.
 */
export async function checkPluginFiles(source: SourceDocument, config: GatewayConfig, options: PluginCheckOptions): Promise<Diagnostic[]> {
  const reporter = createReporter(source);
  const abs = (file: string): string => (isAbsolute(file) ? file : resolve(options.baseDir, file));
  const paths = pluginPaths(options.baseDir, options.allowPluginPaths ?? []);
  const load = options.load ?? true;
  const modules = new Map<string, Promise<unknown>>();
  for (const { entry, path } of pluginEntries(config)) {
    const name = JSON.stringify(clip(entry.name));
    if (entry.module !== undefined) {
      const shown = JSON.stringify(clip(entry.module));
      const verdict = checkPluginPath(entry.module, paths);
      if (!verdict.ok) {
        reporter.report("error", "plugin.module.outside", [...path, "module"], `plugin ${name}: ${verdict.reason}; it is never loaded`, { hint: OUTSIDE_HINT });
        continue;
      }
      if (!options.fileExists(entry.module)) continue;
      if (!load) {
        reporter.report("info", NOT_LOADED_RULE, [...path, "module"], `plugin ${name}: module ${shown} was not loaded (review commands do not run plugin code), so its config was not checked against its schema`, {
          hint: "pass --load-plugins to import it and check its config, only where the config and its modules are trusted (never with an admin token in reach)",
        });
        continue;
      }
      let mod: unknown;
      try {
        let pending = modules.get(verdict.file);
        if (pending === undefined) {
          pending = importPluginModule(entry.module, paths);
          modules.set(verdict.file, pending);
        }
        mod = await pending;
      } catch (err) {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: module ${shown} failed to load: ${firstLine(err)}`);
        continue;
      }
      const plugin = pluginOf(mod);
      if (typeof plugin === "string") {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: module ${shown} is not a plugin: ${plugin}`, {
          hint: 'export default { name: "x", schema: { type: "object" }, create(config) { return { request(ctx) {} }; } }',
        });
        continue;
      }
      if (plugin.schema === undefined) continue;
      let validate;
      try {
        validate = await compileUserSchema(plugin.schema);
      } catch (err) {
        reporter.report("error", "plugin.module.invalid", [...path, "module"], `plugin ${name}: the schema module ${shown} exports does not compile: ${firstLine(err)}`);
        continue;
      }
      const value = structuredClone(entry.config);
      if (!validate(value)) {
        // In validate mode a value still holding an unset ${VAR} is known by type only.
        const errors = (validate.errors ?? []).filter((e: ErrorObject) => !(options.mode === "validate" && typeof e.data === "string" && e.data.includes("${") && e.keyword !== "type"));
        reportSchemaErrors(errors, reporter, [...path, "config"], options.secretValues);
      }
    } else if (entry.name === "json-schema") {
      const file = (entry.config as { schema?: unknown } | undefined)?.schema;
      if (typeof file !== "string" || !options.fileExists(file)) continue;
      const invalid = (why: string): void =>
        reporter.report("error", "plugin.schema.invalid", [...path, "config", "schema"], `plugin ${name}: ${JSON.stringify(clip(file))} is not a valid JSON Schema: ${why}`);
      let schema: unknown;
      try {
        schema = JSON.parse(await options.readFile(abs(file))) as unknown;
      } catch (err) {
        // JSON.parse's message quotes the file's first bytes: never echo them (the path may name any file).
        invalid(err instanceof SyntaxError ? "it is not JSON" : firstLine(err));
        continue;
      }
      try {
        await compileUserSchema(schema);
      } catch (err) {
        invalid(firstLine(err));
      }
    }
  }
  return reporter.diagnostics;
}
