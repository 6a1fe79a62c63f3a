import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface ChildGateway {
  child: ChildProcess;
  dataUrl: string;
  adminUrl: string;
  /** Log lines so far, parsed. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs the built CLI (`bin/aigw serve`) as a real process and waits for its
 * "aigw listening" line (the config should listen on port 0).
 */
export async function spawnGateway(configPath: string, env: Record<string, string> = {}, args: string[] = []): Promise<ChildGateway> {
  const child = spawn(process.execPath, [resolve(root, "bin/aigw"), "serve", "--config", configPath, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let err = "";
  let buffered = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const listening = new Promise<Record<string, unknown>>((resolveListen, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      let i: number;
      while ((i = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (line.trim() === "") continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        if (parsed.msg === "aigw listening") resolveListen(parsed);
      }
    });
    void exited.then((code) => reject(new Error(`aigw exited (${code}) before listening:\n${err}`)));
    setTimeout(() => reject(new Error(`aigw did not start in time:\n${err}`)), 15_000).unref();
  });
  let line: Record<string, unknown>;
  try {
    line = await listening;
  } catch (err) {
    // Never leave a child behind when it failed to start in time.
    if (child.exitCode === null) child.kill("SIGKILL");
    throw err;
  }
  return { child, dataUrl: String(line.data), adminUrl: String(line.admin), logs, stderr: () => err, exited };
}

/**
 * Stops a child gateway for cleanup: SIGTERM, and SIGKILL if it has not
 * exited within `limitMs` (a bound for a hung shutdown, not a timing).
 */
export async function stopGateway(gw: ChildGateway, limitMs = 8000): Promise<void> {
  if (gw.child.exitCode !== null || gw.child.signalCode !== null) return;
  gw.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), limitMs)));
  const exited = await Promise.race([gw.exited.then(() => true), late]);
  clearTimeout(timer);
  if (!exited) {
    gw.child.kill("SIGKILL");
    await gw.exited;
  }
}
