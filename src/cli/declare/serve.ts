import type { Command } from "commander";
import type { Io } from "../io.js";
import { allowPluginPathOption, examples } from "../options.js";

/** Declares `serve`; its action lazily imports the command and reports its exit code. */
export function declareServeCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command("serve")
    .description("run the gateway: the data plane on server.listen, probes, metrics and /admin on server.admin")
    .requiredOption("-c, --config <file>", "config file", "gateway.yaml")
    .option("--no-watch", "do not reload when the file changes (SIGHUP and POST /admin/reload still do)")
    .option("--workers <n>", 'processes serving the data listener on one port (node:cluster), or "auto" for one per CPU; default 1 or AIGW_WORKERS')
    .addOption(allowPluginPathOption())
    .addHelpText(
      "after",
      examples([
        "aigw serve --config gateway.yaml",
        "AIGW_ADMIN_TOKEN=... aigw serve --config /etc/aigw/gateway.yaml",
        "aigw serve --config gateway.yaml --workers auto",
        "aigw serve --config /etc/aigw/gateway.yaml --allow-plugin-path /opt/aigw/plugins",
        "kill -HUP <pid>   # reload now",
      ]),
    )
    .action(async (opts: import("../commands/serve.js").ServeCommandOptions) => {
      const { serveCommand } = await import("../commands/serve.js");
      setCode(await serveCommand(opts, io));
    });
}
