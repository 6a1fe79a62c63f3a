import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { request } from "undici";
import { buildSnapshot } from "../compile/build.js";
import type { Diagnostic } from "../config/diagnostic.js";
import { AigwError } from "../errors/errors.js";
import { ErrorCode } from "../errors/codes.js";
import { buildFromFile, checkBuilt, filesIn } from "./config-file.js";
import type { Io } from "./io.js";
import { reviewNotices, type PluginReview } from "./plugin-review.js";

/**
 * Where `diff` and `plan` read a config: a file, a running gateway's admin
 * API (`http(s)://host:port`, `GET /admin/config`), or a file at a git
 * revision (`git:<ref>:<path>`, via `git show`). Files are canonicalised
 * as `validate` does, with the CLI's environment. Plugin modules are
 * imported only from files, only as `review` allows; never for a git
 * revision (the module on disk is not that revision's).
 */
export type SourceResult =
  | { ok: true; canonical: Record<string, unknown>; label: string; hash: string; /** Modules not loaded (info findings). */ notices: Diagnostic[] }
  | { ok: false; label: string; diagnostics: Diagnostic[] };

export interface SourceOptions {
  /** What may be done with the plugin modules a file names. */
  review: PluginReview;
  /** Admin bearer token (`--token`, else `AIGW_ADMIN_TOKEN`). */
  token: string | undefined;
  /** Called with the text of every config file read (for the output's secret guard). */
  onText?: (text: string) => void;
  /** Admin request timeout. */
  timeoutMs?: number;
}

const ADMIN_TIMEOUT_MS = 10_000;

/** A URL for display: no user info, no query. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

export function isUrlSource(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

async function fromAdmin(spec: string, options: SourceOptions): Promise<SourceResult> {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new AigwError(ErrorCode.Usage, `not a URL: ${spec}`);
  }
  const label = displayUrl(url);
  const target = new URL(url.pathname.replace(/\/+$/, "").endsWith("/admin/config") ? url.pathname : `${url.pathname.replace(/\/+$/, "")}/admin/config`, url);
  target.username = "";
  target.password = "";
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.token !== undefined && options.token !== "") headers.authorization = `Bearer ${options.token}`;
  const timeout = options.timeoutMs ?? ADMIN_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    const res = await request(target, { method: "GET", headers, headersTimeout: timeout, bodyTimeout: timeout });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new AigwError(ErrorCode.ConfigRead, `cannot reach ${label}: ${(err as Error).message}`, { cause: err });
  }
  if (status === 401 || status === 403) {
    const hint = options.token === undefined || options.token === "" ? "pass an admin token with --token or AIGW_ADMIN_TOKEN" : "the admin token was refused";
    throw new AigwError(ErrorCode.ConfigRead, `${label}/admin/config answered ${status}: ${hint}`);
  }
  if (status !== 200) throw new AigwError(ErrorCode.ConfigRead, `${label}/admin/config answered ${status}`);
  let body: { hash?: unknown; config?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new AigwError(ErrorCode.ConfigRead, `${label}/admin/config did not answer JSON`);
  }
  if (body === null || typeof body !== "object" || body.config === null || typeof body.config !== "object" || Array.isArray(body.config)) {
    throw new AigwError(ErrorCode.ConfigRead, `${label}/admin/config did not answer {hash, loadedAt, config}`);
  }
  return { ok: true, canonical: body.config as Record<string, unknown>, label, hash: String(body.hash ?? ""), notices: [] };
}

function gitShow(cwd: string, ref: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", ["show", `${ref}:${path}`], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else {
        const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "git is not installed" : (stderr.trim().split("\n")[0] ?? err.message) || err.message;
        reject(new AigwError(ErrorCode.ConfigRead, `cannot read git:${ref}:${path}: ${reason}`, { cause: err }));
      }
    });
  });
}

async function fromGit(spec: string, io: Io, options: SourceOptions): Promise<SourceResult> {
  const rest = spec.slice("git:".length);
  const colon = rest.indexOf(":");
  if (colon <= 0 || colon === rest.length - 1) throw new AigwError(ErrorCode.Usage, `expected git:<ref>:<path>, got ${spec}`);
  const ref = rest.slice(0, colon);
  const path = rest.slice(colon + 1);
  if (ref.startsWith("-")) throw new AigwError(ErrorCode.Usage, `not a git ref: ${ref}`);
  const text = await gitShow(io.cwd, ref, path);
  options.onText?.(text);
  const base = dirname(path);
  const built = buildSnapshot(text, spec, { mode: "validate", env: io.env, fileExists: filesIn(base, io) });
  const result = await checkBuilt(built, base, io, "validate", { ...options.review, load: false });
  if (result.snapshot === undefined) return { ok: false, label: spec, diagnostics: result.diagnostics };
  const notices = reviewNotices(result.diagnostics).map((d) => ({ ...d, hint: "a git revision's modules are never imported, even with --load-plugins: the file on disk is not that revision's" }));
  return { ok: true, canonical: result.snapshot.canonical as Record<string, unknown>, label: spec, hash: result.snapshot.hash, notices };
}

/** Reads a source's canonical config. Unreachable or unreadable sources are AigwErrors; invalid configs are findings. */
export async function loadSource(spec: string, io: Io, options: SourceOptions): Promise<SourceResult> {
  if (isUrlSource(spec)) return fromAdmin(spec, options);
  if (spec.startsWith("git:")) return fromGit(spec, io, options);
  const reading: Io = {
    ...io,
    readFile: async (path) => {
      const text = await io.readFile(path);
      options.onText?.(text);
      return text;
    },
  };
  const result = await buildFromFile(spec, reading, "validate", options.review);
  if (result.snapshot === undefined) return { ok: false, label: spec, diagnostics: result.diagnostics };
  return { ok: true, canonical: result.snapshot.canonical as Record<string, unknown>, label: spec, hash: result.snapshot.hash, notices: reviewNotices(result.diagnostics) };
}
