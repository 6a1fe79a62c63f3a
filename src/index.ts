/** aigw's programmatic API: the config pipeline and the compiled snapshot. */
export { buildSnapshot, type BuildResult } from "./compile/build.js";
export { runPipeline, type PipelineOptions, type PipelineResult } from "./config/run-stages.js";
export type { Diagnostic, Severity } from "./config/diagnostic.js";
export type { Snapshot, CompiledPolicy } from "./compile/snapshot.js";
export type { CompiledRoute, MatchRequest } from "./compile/route.js";
export { decide, type Decision, type DecisionRequest } from "./explain/decide.js";
export { normalizePath } from "./compile/router/path.js";
export type * from "./config/types.js";
export { AigwError } from "./errors/errors.js";
export { ErrorCode } from "./errors/codes.js";
export { run } from "./cli/main.js";
// Plugins (DESIGN.md 11): what a custom plugin module is written against.
export type {
  Plugin,
  PluginHooks,
  PluginContext,
  PluginAnswer,
  RequestHookResult,
  PluginResponse,
  PluginUsage,
  PluginHeaders,
  PluginLogger,
  PluginEnvironment,
  JsonSchema,
} from "./plugins/types.js";
