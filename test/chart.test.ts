import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { loadChart, mergeValues, TemplateError } from "./helpers/helm-template.js";

/**
 * The Helm chart (charts/aigw), the plain manifests (examples/kubernetes)
 * and the Dockerfile, checked without helm, kubectl or docker: values against
 * values.schema.json, YAML that parses, template delimiters and blocks, every
 * `.Values` path a template reads, the README's table of values, every
 * embedded gateway config through the built CLI's `aigw validate --strict`,
 * and the manifests the templates render (with test/helpers/helm-template.ts,
 * a subset of Helm's template engine: `helm template` stays the reference).
 */

const root = resolve(import.meta.dirname, "..");
const chart = join(root, "charts/aigw");
const execFileAsync = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "aigw-chart-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const read = (path: string): string => readFileSync(path, "utf8");
const values = parse(read(join(chart, "values.yaml"))) as Obj;
const schema = JSON.parse(read(join(chart, "values.schema.json"))) as Obj;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function compileValuesSchema(): ValidateFunction {
  // values.schema.json is draft-07, which Ajv's default class implements (and Helm 3 supports).
  expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  type AddFormats = (a: Ajv) => Ajv;
  const addFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Runs the built CLI (`npm test` builds first) with only PATH and `env`. */
async function aigw(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(root, "bin/aigw"), ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** `${NAME}` references of a gateway config, each given a plausible value. */
function envFor(config: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of config.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    env[m[1]!] = m[1]!.endsWith("_URL") ? "redis://127.0.0.1:6379/0" : `test-${m[1]!.toLowerCase()}-0123456789abcdef`;
  }
  return env;
}

async function expectValidConfig(config: string, name: string): Promise<void> {
  const file = join(tmp, name);
  writeFileSync(file, config);
  const strict = await aigw(["validate", "--strict", file], envFor(config));
  expect(strict.code, strict.stdout + strict.stderr).toBe(0);
  expect(strict.stdout).toContain("valid");
  const lint = await aigw(["lint", file], envFor(config));
  expect(lint.code, lint.stdout + lint.stderr).toBe(0);
}

const port = (address: string): number => Number(address.slice(address.lastIndexOf(":") + 1));

describe("charts/aigw", () => {
  it("has a Chart.yaml (apiVersion v2) whose appVersion is the package version", () => {
    const meta = parse(read(join(chart, "Chart.yaml"))) as Obj;
    const pkg = JSON.parse(read(join(root, "package.json"))) as { version: string };
    expect(meta).toMatchObject({ apiVersion: "v2", name: "aigw", type: "application", appVersion: pkg.version });
    expect(String(meta.version)).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  it("values.schema.json compiles (draft-07) and accepts the default values.yaml", () => {
    const validate = compileValuesSchema();
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
  });

  it("values.schema.json rejects mistakes helm would otherwise render", () => {
    const validate = compileValuesSchema();
    const bad: [string, (v: Obj) => void][] = [
      ["replicaCount as a string", (v) => (v.replicaCount = "two")],
      ["an unknown top-level key (typo)", (v) => (v.replicas = 3)],
      ["a port out of range", (v) => ((v.ports as Obj).http = 70000)],
      ["a malformed digest", (v) => ((v.image as Obj).digest = "latest")],
      ["an unknown key in adminToken", (v) => ((v.adminToken as Obj).secret = "x")],
      ["a non-Redis REDIS_URL", (v) => ((v.redis as Obj).url = "http://redis:6379")],
      ["a secretEnv name that is no variable name", (v) => (v.secretEnv = { "OPENAI-KEY": "x" })],
      ["a negative preStop sleep", (v) => ((v.lifecycle as Obj).preStopSleepSeconds = -1)],
    ];
    for (const [name, mutate] of bad) {
      const copy = structuredClone(values);
      mutate(copy);
      expect(validate(copy), name).toBe(false);
    }
    const good = structuredClone(values);
    good.terminationGracePeriodSeconds = 90;
    (good.podDisruptionBudget as Obj).minAvailable = "50%";
    (good.redis as Obj).url = "rediss://:pw@redis.example:6380/0";
    good.secretEnv = { OPENAI_API_KEY: "sk-test" };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
  });

  const files = filesUnder(chart);
  const templated = files.filter((f) => read(f).includes("{{"));

  it.each(files.filter((f) => /\.ya?ml$/.test(f) && !read(f).includes("{{")).map((f) => relative(root, f)))("%s is plain YAML that parses", (file) => {
    const docs = parseAllDocuments(read(join(root, file)));
    for (const doc of docs) expect(doc.errors, file).toEqual([]);
  });

  it("has the templates issue 12 asks for", () => {
    const names = readdirSync(join(chart, "templates"));
    for (const t of ["_helpers.tpl", "deployment.yaml", "configmap.yaml", "service.yaml", "ingress.yaml", "hpa.yaml", "pdb.yaml", "servicemonitor.yaml", "secret.yaml", "NOTES.txt"]) {
      expect(names).toContain(t);
    }
    expect(existsSync(join(chart, "README.md"))).toBe(true);
    expect(existsSync(join(chart, ".helmignore"))).toBe(true);
  });

  it.each(templated.map((f) => relative(root, f)))("%s: balanced {{ }} and blocks, known includes and values", (file) => {
    const text = read(join(root, file));
    const defined = new Set([...templated.flatMap((f) => [...read(f).matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]!))]);
    const stack: string[] = [];
    let at = 0;
    for (;;) {
      const open = text.indexOf("{{", at);
      const close = text.indexOf("}}", at);
      if (open === -1) {
        expect(close, `${file}: a stray }} after the last action`).toBe(-1);
        break;
      }
      expect(close, `${file}: {{ at ${open} is never closed`).toBeGreaterThan(open);
      const next = text.indexOf("{{", open + 2);
      expect(next === -1 || next > close, `${file}: {{ at ${open} opens again before it closes`).toBe(true);
      const action = text.slice(open + 2, close).replace(/^-\s/, "").replace(/\s-$/, "").trim();
      at = close + 2;
      if (action.startsWith("/*")) {
        expect(action.endsWith("*/"), `${file}: comment at ${open}`).toBe(true);
        continue;
      }
      const keyword = /^([a-z]+)\b/.exec(action)?.[1];
      if (keyword === "if" || keyword === "range" || keyword === "with" || keyword === "define" || keyword === "block") stack.push(keyword);
      else if (keyword === "else") expect(["if", "with", "range"], `${file}: else outside a block at ${open}`).toContain(stack.at(-1));
      else if (keyword === "end") expect(stack.pop(), `${file}: end without a block at ${open}`).toBeDefined();
      for (const m of action.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) expect(defined, `${file}: include of undefined "${m[1]}"`).toContain(m[1]);
      for (const m of action.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        let node: Json = values;
        for (const key of m[1]!.slice(1).split(".")) {
          expect(isObj(node) && key in node, `${file}: .Values${m[1]} is not in values.yaml`).toBe(true);
          node = (node as Obj)[key]!;
          if (isObj(node) && Object.keys(node).length === 0) break; // a free-form map: its keys are the user's
        }
      }
    }
    expect(stack, `${file}: blocks left open`).toEqual([]);
  });

  it("documents every value in its README", () => {
    const readme = read(join(chart, "README.md"));
    // Walk values.yaml where the schema names the properties; a free-form
    // object (no `properties`) is documented as one value.
    const missing: string[] = [];
    const walk = (value: Json, node: Obj | undefined, path: string): void => {
      const props = node?.properties;
      if (isObj(value) && isObj(props)) {
        for (const [k, v] of Object.entries(value)) walk(v, props[k] as Obj | undefined, path === "" ? k : `${path}.${k}`);
        return;
      }
      if (!readme.includes(`| \`${path}\` |`)) missing.push(path);
    };
    walk(values, schema, "");
    expect(missing).toEqual([]);
  });

  it("reads only what the templates need from the embedded config: ports, admin binding", () => {
    const config = parse(values.config as string) as { server: { listen: string; admin: string; adminAuth?: unknown; shutdown?: { graceMs?: number } } };
    const ports = values.ports as { http: number; admin: number };
    expect(port(config.server.listen)).toBe(ports.http);
    expect(port(config.server.admin)).toBe(ports.admin);
    expect(config.server.admin.startsWith("0.0.0.0:"), "probes reach the pod IP, not loopback").toBe(true);
    expect(config.server.adminAuth, "a non-loopback admin listener needs adminAuth (server.admin.exposed)").toBeDefined();
    expect(values.configChecksumAnnotation, "hot reload: no restart on config change by default").toBe(false);
    expect((values.validateConfig as Obj).initContainer).toBe(true);
    // The deployment mounts the ConfigMap as a directory: a subPath mount never sees kubelet's ..data swaps.
    const deployment = read(join(chart, "templates/deployment.yaml"));
    expect(deployment).not.toMatch(/^\s*-? *subPath:/m);
    expect(deployment).toMatch(/mountPath: \/etc\/aigw\n/);
    expect(deployment).toContain("- validate");
    expect(deployment).toContain("- --strict");
  });

  it("embeds a default config that passes `aigw validate --strict` and `aigw lint`", async () => {
    const config = values.config as string;
    expect(config).toContain("type: mock");
    await expectValidConfig(config, "chart-default.yaml");
    // Without AIGW_ADMIN_TOKEN (CI has no secrets) validate passes with a warning; --strict fails.
    const file = join(tmp, "chart-default.yaml");
    const lenient = await aigw(["validate", file]);
    expect(lenient.code, lenient.stdout + lenient.stderr).toBe(0);
    expect(lenient.stdout).toContain("AIGW_ADMIN_TOKEN");
    const strict = await aigw(["validate", "--strict", file]);
    expect(strict.code).toBe(1);
  }, 30_000);
});

describe("charts/aigw rendered (helm-template helper, not helm)", () => {
  const engine = loadChart(chart);
  const b64 = (s: string): string => Buffer.from(s).toString("base64");

  function render(over: Obj = {}, lookup?: (apiVersion: string, kind: string, namespace: string, name: string) => Obj): { objects: Obj[]; notes: string } {
    const out = engine.render(mergeValues(structuredClone(values), over) as Obj, { lookup: lookup as never });
    const objects: Obj[] = [];
    for (const [file, text] of Object.entries(out)) {
      if (file.endsWith("NOTES.txt")) continue;
      for (const doc of parseAllDocuments(text)) {
        expect(doc.errors, `${file}:\n${text}`).toEqual([]);
        const o = doc.toJS() as Obj | null;
        if (o === null) continue;
        expect(typeof o.apiVersion, file).toBe("string");
        expect(typeof (o.metadata as Obj).name, file).toBe("string");
        objects.push(o);
      }
    }
    return { objects, notes: out["templates/NOTES.txt"]! };
  }
  const find = (objects: Obj[], kind: string): Obj | undefined => objects.find((o) => o.kind === kind);
  const podOf = (objects: Obj[]): Obj => ((find(objects, "Deployment")!.spec as Obj).template as Obj).spec as Obj;
  const gatewayContainer = (objects: Obj[]): Obj => (podOf(objects).containers as Obj[]).find((c) => c.name === "aigw")!;

  it("renders the defaults: Deployment, ConfigMap, Secret, Service, ServiceAccount, PDB and the helm test pod", () => {
    const { objects, notes } = render();
    expect(objects.map((o) => o.kind).sort()).toEqual(["ConfigMap", "Deployment", "Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]);
    const deployment = find(objects, "Deployment")!;
    expect((deployment.spec as Obj).replicas).toBe(2);
    const pod = podOf(objects);
    // 5 s preStop sleep + ceil(graceMs 30000 / 1000) + 5 s margin.
    expect(pod.terminationGracePeriodSeconds).toBe(40);
    expect(((deployment.spec as Obj).template as Obj).metadata).not.toHaveProperty("annotations"); // no checksum/config: hot reload
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const c = gatewayContainer(objects);
    expect(c.args).toEqual(["serve", "--config", "/etc/aigw/gateway.yaml"]);
    expect(c.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "admin", containerPort: 9090, protocol: "TCP" },
    ]);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: "admin" } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "admin" } });
    expect(c.startupProbe).toMatchObject({ httpGet: { path: "/health", port: "admin" } });
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ["sleep", "5"] } } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const mount = (c.volumeMounts as Obj[]).find((m) => m.name === "config")!;
    expect(mount).toEqual({ name: "config", mountPath: "/etc/aigw", readOnly: true }); // a directory, no subPath
    const configMap = find(objects, "ConfigMap")!;
    expect((pod.volumes as Obj[]).find((v) => v.name === "config")).toEqual({ name: "config", configMap: { name: (configMap.metadata as Obj).name } });
    expect(parse((configMap.data as Record<string, string>)["gateway.yaml"]!)).toEqual(parse(values.config as string));
    // The admin token the config reads comes from the chart's Secret.
    const secret = find(objects, "Secret")!;
    expect(c.env).toEqual([{ name: "AIGW_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: (secret.metadata as Obj).name, key: "AIGW_ADMIN_TOKEN" } } }]);
    expect(Object.keys(secret.data as Obj)).toEqual(["AIGW_ADMIN_TOKEN"]);
    const init = (pod.initContainers as Obj[])[0]!;
    expect(init.args).toEqual(["validate", "--strict", "/etc/aigw/gateway.yaml"]);
    expect(init.env).toEqual(c.env);
    expect(init.volumeMounts).toEqual([mount]);
    const service = find(objects, "Service")!;
    expect((service.spec as Obj).ports).toEqual([
      { name: "http", port: 8080, targetPort: "http", protocol: "TCP" },
      { name: "admin", port: 9090, targetPort: "admin", protocol: "TCP" },
    ]);
    expect(notes).toContain("kubectl -n default get secret aigw");
  });

  it("keeps a generated admin token across upgrades (lookup)", () => {
    const { objects } = render({}, (apiVersion, kind, _ns, name): Obj => (apiVersion === "v1" && kind === "Secret" && name === "aigw" ? { data: { AIGW_ADMIN_TOKEN: b64("kept-token") } } : {}));
    expect((find(objects, "Secret")!.data as Obj).AIGW_ADMIN_TOKEN).toBe(b64("kept-token"));
    const fixed = render({ adminToken: { value: "fixed" } });
    expect((find(fixed.objects, "Secret")!.data as Obj).AIGW_ADMIN_TOKEN).toBe(b64("fixed"));
  });

  it("renders every option", () => {
    const config = (values.config as string).replace("graceMs: 30000", "graceMs: 50500");
    const { objects } = render({
      config,
      configChecksumAnnotation: true,
      autoscaling: { enabled: true, targetMemoryUtilizationPercentage: 80 },
      ingress: { enabled: true, className: "nginx", tls: [{ secretName: "aigw-tls", hosts: ["aigw.example.com"] }] },
      metrics: { serviceMonitor: { enabled: true, labels: { release: "kps" } } },
      secretEnv: { OPENAI_API_KEY: "sk-test" },
      existingSecret: "provider-keys",
      redis: { url: "redis://redis:6379/0" },
      env: [{ name: "NODE_OPTIONS", value: "--max-old-space-size=384" }],
      envFrom: [{ configMapRef: { name: "extra" } }],
      extraArgs: ["--no-watch"],
      extraVolumes: [{ name: "tls", secret: { secretName: "aigw-tls" } }],
      extraVolumeMounts: [{ name: "tls", mountPath: "/etc/aigw-tls", readOnly: true }],
      podAnnotations: { "example.com/a": "b" },
      image: { digest: `sha256:${"a".repeat(64)}` },
      podDisruptionBudget: { minAvailable: "50%" },
      lifecycle: { preStopSleepSeconds: 0 },
      tolerations: [{ key: "k", operator: "Exists" }],
      topologySpreadConstraints: [{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" }],
    });
    expect(objects.map((o) => o.kind).sort()).toEqual(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "ServiceMonitor"]);
    const deployment = find(objects, "Deployment")!;
    expect((deployment.spec as Obj).replicas, "the HPA owns replicas").toBeUndefined();
    const template = (deployment.spec as Obj).template as Obj;
    expect((template.metadata as Obj).annotations).toEqual({ "checksum/config": createHash("sha256").update(config).digest("hex"), "example.com/a": "b" });
    const pod = podOf(objects);
    expect(pod.terminationGracePeriodSeconds).toBe(0 + 51 + 5);
    const c = gatewayContainer(objects);
    expect(c.lifecycle).toBeUndefined();
    expect(c.image).toBe(`aigw@sha256:${"a".repeat(64)}`);
    expect(c.args).toEqual(["serve", "--config", "/etc/aigw/gateway.yaml", "--no-watch"]);
    expect((c.env as Obj[]).map((e) => e.name)).toEqual(["AIGW_ADMIN_TOKEN", "REDIS_URL", "NODE_OPTIONS"]);
    expect(c.envFrom).toEqual([{ secretRef: { name: "aigw" } }, { secretRef: { name: "provider-keys" } }, { configMapRef: { name: "extra" } }]);
    expect((c.volumeMounts as Obj[]).map((m) => m.name)).toEqual(["config", "tmp", "tls"]);
    expect(((pod.initContainers as Obj[])[0]!.volumeMounts as Obj[]).map((m) => m.name)).toEqual(["config", "tls"]);
    expect(Object.keys(find(objects, "Secret")!.data as Obj).sort()).toEqual(["AIGW_ADMIN_TOKEN", "OPENAI_API_KEY", "REDIS_URL"]);
    expect((find(objects, "ServiceMonitor")!.spec as Obj).endpoints).toEqual([{ port: "admin", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }]);
    expect(((find(objects, "Ingress")!.spec as Obj).rules as Obj[])[0]).toMatchObject({ host: "aigw.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "aigw", port: { number: 8080 } } } }] } });
    expect(find(objects, "PodDisruptionBudget")!.spec).toMatchObject({ minAvailable: "50%" });
    expect((find(objects, "HorizontalPodAutoscaler")!.spec as Obj).metrics).toHaveLength(2);
  });

  it("uses an existing ConfigMap and Secrets: creates neither", () => {
    const { objects } = render({
      existingConfigMap: "gitops-config",
      existingConfigMapKey: "aigw.yaml",
      adminToken: { existingSecret: "admin", existingSecretKey: "token" },
      redis: { existingSecret: "redis" },
      terminationGracePeriodSeconds: 77,
      startupProbe: null,
    });
    expect(objects.map((o) => o.kind)).not.toContain("ConfigMap");
    expect(objects.map((o) => o.kind)).not.toContain("Secret");
    const pod = podOf(objects);
    expect(pod.terminationGracePeriodSeconds).toBe(77);
    expect((pod.volumes as Obj[])[0]).toEqual({ name: "config", configMap: { name: "gitops-config", items: [{ key: "aigw.yaml", path: "gateway.yaml" }] } });
    const c = gatewayContainer(objects);
    expect(c.startupProbe).toBeUndefined();
    expect(c.env).toEqual([
      { name: "AIGW_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "admin", key: "token" } } },
      { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "redis", key: "REDIS_URL" } } },
    ]);
  });

  it.each([
    ["an admin listener on loopback", { config: (values.config as string).replace("admin: 0.0.0.0:9090", "admin: 127.0.0.1:9090") }, /is on loopback/],
    ["ports that differ from the config's", { ports: { http: 8081, admin: 9090 } }, /does not use ports.http/],
    ["a config that is not YAML", { config: "version: 1\nserver: [\n" }, /not valid YAML/],
    ["no config", { config: "" }, /config is empty/],
  ])("refuses to render %s", (_name, over, message) => {
    expect(() => engine.render(mergeValues(structuredClone(values), over as Obj) as Obj)).toThrow(TemplateError);
    expect(() => engine.render(mergeValues(structuredClone(values), over as Obj) as Obj)).toThrow(message);
  });
});

describe("examples/kubernetes", () => {
  const dir = join(root, "examples/kubernetes");
  const manifests = filesUnder(dir).filter((f) => f.endsWith(".yaml"));

  it("keeps manifests out of examples/*.yaml, which CI validates as gateway configs", () => {
    expect(manifests.length).toBeGreaterThanOrEqual(3);
    for (const f of manifests) expect(relative(join(root, "examples"), f)).toMatch(/^kubernetes\//);
    expect(manifests.some((f) => read(f).includes("state:\n      redis:")), "a with-Redis variant").toBe(true);
    expect(manifests.some((f) => /kind: Deployment[\s\S]*image: redis:/.test(read(f))), "a Redis Deployment").toBe(true);
  });

  it.each(manifests.map((f) => relative(root, f)))("%s", async (file) => {
    const docs = parseAllDocuments(read(join(root, file)));
    const objects = docs.map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Obj;
    });
    for (const o of objects) {
      expect(typeof o.apiVersion, file).toBe("string");
      expect(typeof o.kind, file).toBe("string");
      expect(typeof (o.metadata as Obj | undefined)?.name, file).toBe("string");
    }
    const configMaps = objects.filter((o) => o.kind === "ConfigMap");
    for (const cm of configMaps) {
      const config = (cm.data as Record<string, string>)["gateway.yaml"];
      if (config === undefined) continue;
      await expectValidConfig(config, `${String((cm.metadata as Obj).name)}-${file.replace(/\W+/g, "-")}`);
      // The Deployment that mounts it, checked against the config it serves.
      const server = (parse(config) as { server: { listen: string; admin: string; shutdown?: { graceMs?: number } } }).server;
      const deployment = objects.find((o) => o.kind === "Deployment" && JSON.stringify(o).includes(`"name":"${String((cm.metadata as Obj).name)}"`));
      expect(deployment, `${file}: a Deployment mounting ${String((cm.metadata as Obj).name)}`).toBeDefined();
      const pod = ((deployment!.spec as Obj).template as Obj).spec as Obj;
      const container = (pod.containers as Obj[]).find((c) => c.name === "aigw")!;
      const ports = Object.fromEntries((container.ports as Obj[]).map((p) => [p.name, p.containerPort]));
      expect(ports.http).toBe(port(server.listen));
      expect(ports.admin).toBe(port(server.admin));
      expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: "admin" } });
      expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "admin" } });
      const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === "/etc/aigw")!;
      expect(mount.subPath, "a directory mount, so kubelet's ..data swaps reach the gateway").toBeUndefined();
      const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name)!;
      expect((volume.configMap as Obj).name).toBe((cm.metadata as Obj).name);
      expect(container.args).toEqual(["serve", "--config", "/etc/aigw/gateway.yaml"]);
      expect((pod.initContainers as Obj[])[0]!.args).toEqual(["validate", "--strict", "/etc/aigw/gateway.yaml"]);
      expect((container.securityContext as Obj).readOnlyRootFilesystem).toBe(true);
      expect((pod.securityContext as Obj).runAsNonRoot).toBe(true);
      // Grace: preStop sleep + graceMs (which includes drainDelayMs) must fit.
      const sleep = Number((((container.lifecycle as Obj).preStop as Obj).exec as { command: string[] }).command[1]);
      const graceMs = server.shutdown?.graceMs ?? 30_000;
      expect(pod.terminationGracePeriodSeconds as number).toBeGreaterThan(sleep + Math.ceil(graceMs / 1000));
    }
  }, 30_000);
});

describe("README", () => {
  it("has an `Install and deploy` section right before `CLI`, saying what was not run here", () => {
    const readme = read(join(root, "README.md"));
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings[headings.indexOf("CLI") - 1]).toBe("Install and deploy");
    const section = readme.slice(readme.indexOf("## Install and deploy"), readme.indexOf("\n## CLI"));
    for (const s of ["npm install -g ./aigw-", "docker build", "charts/aigw", "examples/kubernetes/", "/admin/config", "aigw_config_info", "aigw plan"]) expect(section).toContain(s);
    const notRun = section.slice(section.indexOf("**What was not run"));
    expect(notRun).toMatch(/image was never built/);
    expect(notRun).toMatch(/`helm install`/);
    expect(notRun).toMatch(/`helm template`/);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read(join(root, "Dockerfile"));
  const ignore = read(join(root, ".dockerignore"))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const ignored = (path: string): boolean =>
    ignore.some((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`).test(path));

  it("builds in stages and runs non-root on node:24-alpine with a healthcheck", () => {
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.at(-1)).toBe("node:${NODE_VERSION}-alpine");
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(runtime).toMatch(/^USER (?!root|0\b)\S+/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(runtime).toContain('ENTRYPOINT ["aigw"]');
    expect(runtime).toContain('CMD ["serve", "--config", "/etc/aigw/gateway.yaml"]');
    expect(dockerfile).toContain("npm ci --omit=dev");
    expect(dockerfile).toContain("npm run build");
  });

  it("copies only files that exist and that .dockerignore keeps in the context", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(existsSync(join(root, s)), `${s} exists`).toBe(true);
      expect(ignored(s), `${s} is not in .dockerignore`).toBe(false);
      if (statSync(join(root, s)).isDirectory()) expect(s).not.toMatch(/^(test|scratch|bench|node_modules|dist)$/);
    }
    for (const p of ["node_modules", "dist", "test", "scratch", ".git", "bench"]) expect(ignored(p), p).toBe(true);
  });
});
