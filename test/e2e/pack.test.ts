import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm pack` makes a package that installs and runs globally: the tarball
 * holds the built dist/ (with type declarations) and schemas/, none of the
 * development files, and `npm i -g ./aigw-*.tgz` needs neither TypeScript nor
 * the `prepare` script. Runtime dependencies come from the npm cache when it
 * has them (`--offline`), else from the registry.
 */

const root = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
  main?: string;
  types?: string;
  exports?: Record<string, string | Record<string, string>>;
  engines: { node: string };
};

let tmp: string;
let tarball: string;
let files: string[];
const timings: Record<string, number> = {};

/** The environment without what `npm test` sets for its own run (prefix, lifecycle). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package)_/i.test(k) || /^npm_config_(prefix|global|global_prefix|local_prefix|location|ignore_scripts|omit|include|dry_run|offline|prefer_offline)$/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "aigw-pack-"));
  // --ignore-scripts: `npm test` built dist/ already (pretest); rebuilding it
  // here would rewrite files that concurrently running tests import.
  const { stdout } = await timed("pack", () => run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: root, env: npmEnv(), timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }));
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, info!.filename);
  files = info!.files.map((f) => f.path);
}, 90_000);

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  console.log(`npm pack and global install timings (ms): ${JSON.stringify(timings)}`);
});

describe("npm pack", () => {
  it("holds the CLI, the built code with its type declarations, and the schemas", () => {
    expect(tarball).toMatch(/aigw-\d+\.\d+\.\d+.*\.tgz$/);
    for (const f of ["package.json", "README.md", "bin/aigw", "dist/cli/main.js", "dist/cli/io.js", "dist/reload/build-worker.js", "dist/cli/cluster-worker.js", "schemas/gateway.schema.json"]) {
      expect(files, f).toContain(f);
    }
    // Every module ships its declarations, so `import type { … } from "aigw"` resolves.
    const js = files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"));
    expect(js.length).toBeGreaterThan(50);
    for (const f of js) expect(files, `${f} has declarations`).toContain(f.replace(/\.js$/, ".d.ts"));
    // What package.json points at is in the tarball.
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.exports ?? {}).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)))].filter((t): t is string => t !== undefined);
    for (const t of targets) expect(files, `${t} (package.json)`).toContain(t.replace(/^\.\//, ""));
    for (const b of Object.values(pkg.bin)) expect(files).toContain(b);
    expect(pkg.engines.node).toBe(">=20.18");
  });

  it("leaves out development files", () => {
    const allowed = /^(bin\/|dist\/|schemas\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench|scratch|scripts|charts|examples|docs|\.ci|node_modules)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map")), "source maps point at src/, which is not shipped").toEqual([]);
  });
});

describe("npm i -g ./aigw-*.tgz", () => {
  let prefix: string;
  let bin: string;
  let work: string;

  beforeAll(async () => {
    prefix = join(tmp, "prefix");
    work = join(tmp, "work");
    mkdirSync(work);
    const args = ["install", "--global", tarball, "--prefix", prefix, "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"];
    try {
      // From the npm cache alone when it holds every dependency (no network)…
      await timed("install --offline", () => run("npm", [...args, "--offline"], { cwd: work, env: npmEnv(), timeout: 90_000 }));
    } catch {
      // …else from the registry (a cold cache, or versions newer than the lockfile's).
      rmSync(prefix, { recursive: true, force: true });
      await timed("install --prefer-offline", () => run("npm", [...args, "--prefer-offline"], { cwd: work, env: npmEnv(), timeout: 150_000 }));
    }
    bin = join(prefix, "bin", "aigw");
  }, 240_000);

  it("puts a working `aigw` on the prefix's bin/", async () => {
    expect(existsSync(bin)).toBe(true);
    const { stdout } = await run(bin, ["--version"], { cwd: work, timeout: 20_000 });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it("validates a config and prints the schema from outside the repository", async () => {
    copyFileSync(join(root, "gateway.yaml"), join(work, "gateway.yaml"));
    const validate = await timed("aigw validate", () => run(bin, ["validate", "gateway.yaml"], { cwd: work, timeout: 20_000 }));
    expect(validate.stdout).toMatch(/^gateway\.yaml: valid \(/m);
    const schema = JSON.parse((await run(bin, ["schema"], { cwd: work, timeout: 20_000, maxBuffer: 16 * 1024 * 1024 })).stdout) as { $schema: string };
    expect(schema.$schema).toContain("2020-12");
  });

  it("serves with --workers 2 (the cluster worker entry ships in dist/)", async () => {
    writeFileSync(
      join(work, "workers.yaml"),
      `version: 1
server: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", shutdown: { drainDelayMs: 0, graceMs: 1000 } }
upstreams: [{ name: mock, type: mock, models: [mock-1] }]
routes: [{ name: chat, match: { path: /v1/chat/completions }, upstream: mock }]
`,
    );
    const child = spawn(bin, ["serve", "--config", "workers.yaml", "--workers", "2", "--no-watch"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const listening = await new Promise<{ data: string; pids: number[] }>((resolveLine, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on("line", (line) => {
          const parsed = JSON.parse(line) as { msg?: string; data: string; pids: number[] };
          if (parsed.msg === "aigw listening") resolveLine(parsed);
        });
        void exited.then((code) => reject(new Error(`aigw exited (${code}) before listening`)));
        setTimeout(() => reject(new Error("aigw did not start in time")), 15_000).unref();
      });
      expect(listening.pids).toHaveLength(2);
      const res = await fetch(`${listening.data}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }) });
      expect(res.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("installs runtime dependencies only, and the package's API resolves by name", async () => {
    const installed = join(prefix, "lib", "node_modules", "aigw");
    expect(existsSync(join(installed, "dist", "index.d.ts"))).toBe(true);
    for (const dev of ["typescript", "vitest", "fast-check", "autocannon"]) {
      expect(existsSync(join(installed, "node_modules", dev)), dev).toBe(false);
    }
    // Resolved by name through package.json `exports`, from the installed copy.
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", "const m = await import('aigw'); console.log(Object.keys(m).length, typeof m.buildSnapshot)"], { cwd: join(prefix, "lib"), timeout: 20_000 });
    const [count, buildSnapshot] = stdout.trim().split(" ");
    expect(Number(count)).toBeGreaterThan(0);
    expect(buildSnapshot).toBe("function");
  });
});
