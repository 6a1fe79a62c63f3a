import { dirname, resolve } from "node:path";
import { SnapshotBuilder } from "../reload/builder.js";
import { Reloader, type ReloadRecord } from "../reload/reloader.js";
import { watchConfig, type ConfigWatcher } from "../reload/watcher.js";
import { reloadRoutes } from "./admin-reload.js";
import { GatewayServeTarget } from "./gateway-serve-target.js";
import type { RunningGateway } from "./runtime.js";
import type { ConfigLocation, Listening, ServeOptions, ServeTarget, Serving } from "./serve-target.js";

export type ServingGateway = Serving<RunningGateway>;

/**
 * The serve control loop, the same for one process and for `--workers N`:
 * loads the config into the target, binds its listeners, and keeps the
 * config current: file changes (unless `watch: false`) and
 * `POST /admin/reload` reload it; the caller wires signals. Resolves with
 * null when the first load fails (the findings are in the returned record).
 */
export async function serveTarget<Running extends Listening>(
  options: ServeOptions,
  makeTarget: (where: ConfigLocation) => ServeTarget<Running>,
): Promise<{ serving: Serving<Running> | null; first: ReloadRecord }> {
  const file = resolve(options.cwd, options.config);
  const where: ConfigLocation = { file, baseDir: dirname(file) };
  const builder = new SnapshotBuilder({ inProcess: options.worker === false });
  const target = makeTarget(where);
  const reloader = new Reloader({ ...where, env: options.env, readFile: options.readFile, target: target.reload, builder, logger: options.logger, clock: options.clock, allowPluginPaths: options.allowPluginPaths ?? [] });
  const closeAll = async (): Promise<void> => {
    await target.close();
    await builder.close();
  };
  const first = await reloader.reload("startup");
  if (first.result !== "success") {
    await closeAll();
    return { serving: null, first };
  }
  let running: Running;
  try {
    running = await target.listen(reloadRoutes(reloader));
  } catch (err) {
    await closeAll();
    throw err;
  }
  const watcher: ConfigWatcher | null = options.watch === false ? null : await watchConfig(file, () => void reloader.reload("file"));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await watcher?.close();
      await closeAll();
    })();
    return stopping;
  };
  return { first, serving: { ...running, reloader, target, stop } };
}

/** One gateway in this process (what `aigw serve` runs without `--workers`). */
export function serve(options: ServeOptions): Promise<{ serving: ServingGateway | null; first: ReloadRecord }> {
  return serveTarget(options, (where) => new GatewayServeTarget(options, where));
}
