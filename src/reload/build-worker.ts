/** Entry of the build worker thread: parses, validates and canonicalises configs off the main thread. */
import { parentPort } from "node:worker_threads";
import { buildMessages } from "./build-steps.js";
import type { BuildRequest } from "./messages.js";

parentPort?.on("message", (req: BuildRequest) => {
  buildMessages(req).then(
    (messages) => {
      for (const message of messages) parentPort!.postMessage(message);
    },
    (err: unknown) => parentPort!.postMessage({ type: "crash", id: req.id, message: (err as Error).stack ?? String(err) }),
  );
});
