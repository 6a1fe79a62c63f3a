/** Entry of the build worker thread: parses, validates and canonicalises configs off the main thread. */
import { parentPort } from "node:worker_threads";
import { buildMessages } from "./build-steps.js";
import type { BuildRequest } from "./messages.js";

parentPort?.on("message", (req: BuildRequest) => {
  try {
    for (const message of buildMessages(req)) parentPort!.postMessage(message);
  } catch (err) {
    parentPort!.postMessage({ type: "crash", id: req.id, message: (err as Error)?.stack ?? String(err) });
  }
});
