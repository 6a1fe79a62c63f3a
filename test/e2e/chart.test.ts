import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse, parseAllDocuments, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnGateway } from "../helpers/child.js";
import { setUpHelm, type Helm } from "../helpers/helm.js";

/**
 * The Helm chart (charts/aigw), the plain manifests (examples/kubernetes)
 * and the Dockerfile. The chart is linted and rendered by real `helm`
 * (test/helpers/helm.ts) over several value sets, and the manifests it
 * renders are checked; values are checked against values.schema.json, the
 * README's table of values against values.yaml, and every embedded gateway
 * config through the built CLI's `aigw validate --strict`.
 */

const root = resolve(import.meta.dirname, "../..");
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

async function expectValidConfig(config: string, name: string, env = envFor(config)): Promise<void> {
  const file = join(tmp, name);
  writeFileSync(file, config);
  const strict = await aigw(["validate", "--strict", file], env);
  expect(strict.code, strict.stdout + strict.stderr).toBe(0);
  expect(strict.stdout).toContain("valid");
  const lint = await aigw(["lint", file], env);
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

  it("has the usual templates, a README and a .helmignore", () => {
    const names = readdirSync(join(chart, "templates"));
    for (const t of ["_helpers.tpl", "deployment.yaml", "configmap.yaml", "service.yaml", "ingress.yaml", "hpa.yaml", "pdb.yaml", "servicemonitor.yaml", "secret.yaml", "NOTES.txt"]) {
      expect(names).toContain(t);
    }
    expect(existsSync(join(chart, "README.md"))).toBe(true);
    expect(existsSync(join(chart, ".helmignore"))).toBe(true);
  });

  // Syntax, includes and functions are helm lint's job (below); what it does
  // not catch is a typo in a `.Values` path, which renders as empty.
  it.each(templated.map((f) => relative(root, f)))("%s reads only values that values.yaml declares", (file) => {
    for (const m of read(join(root, file)).matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      let node: Json = values;
      for (const key of m[1]!.slice(1).split(".")) {
        expect(isObj(node) && key in node, `${file}: .Values${m[1]} is not in values.yaml`).toBe(true);
        node = (node as Obj)[key]!;
        if (isObj(node) && Object.keys(node).length === 0) break; // a free-form map: its keys are the user's
      }
    }
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

let helm: Helm | string = "helm was not set up";
beforeAll(async () => {
  helm = await setUpHelm(join(tmp, "helm"));
}, 60_000);

/** The helm of this machine, or a failure naming why there is none. */
const h = (): Helm => {
  if (typeof helm === "string") throw new Error(helm);
  return helm;
};

describe("charts/aigw rendered by helm", () => {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const unb64 = (s: Json | undefined): string => Buffer.from(String(s), "base64").toString("utf8");
  let files = 0;
  /** Writes values to a file for `-f` (so strings and nulls reach helm as YAML, not --set syntax). */
  const valuesFile = (over: Obj): string => {
    const file = join(tmp, `values-${++files}.yaml`);
    writeFileSync(file, stringify(over));
    return file;
  };

  async function template(over: Obj = {}, args: string[] = [], chartDir = chart): Promise<Obj[]> {
    const r = await h().run(["template", "aigw", chartDir, "--namespace", "default", "-f", valuesFile(over), ...args]);
    expect(r.code, r.stderr).toBe(0);
    const objects: Obj[] = [];
    for (const doc of parseAllDocuments(r.stdout)) {
      expect(doc.errors).toEqual([]);
      const o = doc.toJS() as Obj | null;
      if (o === null) continue;
      expect(typeof o.apiVersion).toBe("string");
      expect(typeof (o.metadata as Obj).name).toBe("string");
      objects.push(o);
    }
    return objects;
  }

  /** The message helm fails with. */
  async function refusal(over: Obj, args: string[] = []): Promise<string> {
    const r = await h().run(["template", "aigw", chart, "-f", valuesFile(over), ...args]);
    expect(r.code).not.toBe(0);
    return r.stderr;
  }

  /**
   * NOTES.txt as `helm install` would print it. `helm template` renders no
   * notes, so a copy of the chart gets a template that runs NOTES.txt
   * through `tpl` into a ConfigMap.
   */
  let notesChart = "";
  async function notes(over: Obj = {}): Promise<string> {
    if (notesChart === "") {
      notesChart = join(tmp, "notes-chart");
      cpSync(chart, notesChart, { recursive: true });
      cpSync(join(chart, "templates/NOTES.txt"), join(notesChart, "notes.txt"));
      writeFileSync(
        join(notesChart, "templates/zz-notes.yaml"),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n',
      );
    }
    const objects = await template(over, ["--show-only", "templates/zz-notes.yaml"], notesChart);
    return String((objects[0]!.data as Obj).notes);
  }

  const find = (objects: Obj[], kind: string): Obj | undefined => objects.find((o) => o.kind === kind);
  const kinds = (objects: Obj[]): string[] => objects.map((o) => String(o.kind)).sort();
  const podOf = (objects: Obj[]): Obj => ((find(objects, "Deployment")!.spec as Obj).template as Obj).spec as Obj;
  const gatewayContainer = (objects: Obj[]): Obj => (podOf(objects).containers as Obj[]).find((c) => c.name === "aigw")!;
  const configOf = (objects: Obj[]): string => (find(objects, "ConfigMap")!.data as Record<string, string>)["gateway.yaml"]!;

  const withConfig = (edit: (c: string) => string): string => {
    const config = edit(values.config as string);
    expect(config).not.toBe(values.config);
    return config;
  };
  const redisConfig = withConfig((c) => c.replace("\nobservability:", '\nstate:\n  redis: { url: "${REDIS_URL}", keyPrefix: "aigw:", onError: allow }\n\nobservability:'));
  const tlsConfig = withConfig((c) => c.replace("  shutdown:", "  tls: { cert: /etc/aigw-tls/tls.crt, key: /etc/aigw-tls/tls.key, minVersion: TLSv1.3 }\n  shutdown:"));
  const tlsMount = { name: "tls", mountPath: "/etc/aigw-tls", readOnly: true };

  /** The value sets `helm lint --strict` checks; the tests below render each. */
  const valueSets: Record<string, Obj> = {
    defaults: {},
    "Redis from a Secret": { config: redisConfig, redis: { existingSecret: "redis-credentials" } },
    "Redis URL in the chart's Secret": { config: redisConfig, redis: { url: "redis://redis:6379/0" } },
    "--workers": { extraArgs: ["--workers", "2"], resources: { requests: { cpu: "2", memory: "256Mi" }, limits: { memory: "1Gi" } } },
    "an existing ConfigMap and Secrets": {
      existingConfigMap: "gitops-config",
      existingConfigMapKey: "aigw.yaml",
      adminToken: { existingSecret: "admin", existingSecretKey: "token" },
      redis: { existingSecret: "redis" },
      terminationGracePeriodSeconds: 77,
      startupProbe: null,
    },
    TLS: {
      config: tlsConfig,
      extraVolumes: [{ name: "tls", secret: { secretName: "aigw-tls" } }],
      extraVolumeMounts: [tlsMount],
    },
    "every option": {
      config: withConfig((c) => c.replace("graceMs: 30000", "graceMs: 50500")),
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
      extraVolumeMounts: [tlsMount],
      podAnnotations: { "example.com/a": "b" },
      image: { digest: `sha256:${"a".repeat(64)}` },
      podDisruptionBudget: { minAvailable: "50%" },
      lifecycle: { preStopSleepSeconds: 0 },
      tolerations: [{ key: "k", operator: "Exists" }],
      topologySpreadConstraints: [{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" }],
    },
  };

  it("is a helm 3 binary", () => {
    expect(h().version).toMatch(/^v3\./);
  });

  it.each(Object.keys(valueSets))("helm lint --strict: %s", async (name) => {
    const r = await h().run(["lint", "--strict", chart, "-f", valuesFile(valueSets[name]!)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
  });

  it("defaults: Deployment, ConfigMap, Secret, Service, ServiceAccount, PDB and the helm test pod", async () => {
    const objects = await template(valueSets.defaults);
    expect(kinds(objects)).toEqual(["ConfigMap", "Deployment", "Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]);
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
    expect(configOf(objects)).toBe(values.config);
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
    const test = find(objects, "Pod")!;
    expect((test.metadata as Obj).annotations).toMatchObject({ "helm.sh/hook": "test" });
    expect(((test.spec as Obj).containers as Obj[])[0]!.command).toEqual(["wget", "-q", "-O", "-", "http://aigw:9090/ready"]);
    const text = await notes();
    expect(text).toContain("kubectl -n default port-forward svc/aigw 8080:8080 9090:9090");
    expect(text).toContain("kubectl -n default get secret aigw -o jsonpath='{.data.AIGW_ADMIN_TOKEN}'");
    expect(text).toContain("Note: 2 replicas");
  });

  it("generates a 40-character admin token unless one is given", async () => {
    // `helm template` cannot look the installed Secret up, so each render draws a new token
    // (on `helm upgrade` the template keeps the installed one: see the README).
    const tokens = await Promise.all([template(), template()]).then((renders) => renders.map((o) => unb64((find(o, "Secret")!.data as Obj).AIGW_ADMIN_TOKEN)));
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
    const fixed = await template({ adminToken: { value: "fixed" } });
    expect((find(fixed, "Secret")!.data as Obj).AIGW_ADMIN_TOKEN).toBe(b64("fixed"));
  });

  it("Redis: REDIS_URL from an existing Secret or from the chart's, validated with the pod's variables", async () => {
    for (const name of ["Redis from a Secret", "Redis URL in the chart's Secret"]) {
      const objects = await template(valueSets[name]);
      const c = gatewayContainer(objects);
      const redisEnv = (c.env as Obj[]).find((e) => e.name === "REDIS_URL");
      const secretName = (find(objects, "Secret")!.metadata as Obj).name;
      expect(redisEnv, name).toEqual({
        name: "REDIS_URL",
        valueFrom: { secretKeyRef: name === "Redis from a Secret" ? { name: "redis-credentials", key: "REDIS_URL" } : { name: secretName, key: "REDIS_URL" } },
      });
      expect(((podOf(objects).initContainers as Obj[])[0]!.env as Obj[]).map((e) => e.name)).toEqual(["AIGW_ADMIN_TOKEN", "REDIS_URL"]);
      const data = find(objects, "Secret")!.data as Obj;
      if (name === "Redis URL in the chart's Secret") expect(unb64(data.REDIS_URL)).toBe("redis://redis:6379/0");
      else expect(data).not.toHaveProperty("REDIS_URL");
    }
    const objects = await template(valueSets["Redis URL in the chart's Secret"]);
    await expectValidConfig(configOf(objects), "chart-redis.yaml", { AIGW_ADMIN_TOKEN: unb64((find(objects, "Secret")!.data as Obj).AIGW_ADMIN_TOKEN), REDIS_URL: "redis://redis:6379/0" });
  }, 30_000);

  it("--workers: passed after serve's own arguments", async () => {
    const c = gatewayContainer(await template(valueSets["--workers"]));
    expect(c.args).toEqual(["serve", "--config", "/etc/aigw/gateway.yaml", "--workers", "2"]);
    expect(c.resources).toEqual({ requests: { cpu: "2", memory: "256Mi" }, limits: { memory: "1Gi" } });
  });

  it("TLS: the certificate Secret mounted where server.tls reads it, in the gateway and in the validating init container", async () => {
    const objects = await template(valueSets.TLS);
    const pod = podOf(objects);
    expect(pod.volumes as Obj[]).toContainEqual({ name: "tls", secret: { secretName: "aigw-tls" } });
    expect(gatewayContainer(objects).volumeMounts as Obj[]).toContainEqual(tlsMount);
    expect((pod.initContainers as Obj[])[0]!.volumeMounts as Obj[]).toContainEqual(tlsMount);
    const tls = (parse(configOf(objects)) as { server: { tls: { cert: string; key: string } } }).server.tls;
    for (const file of [tls.cert, tls.key]) expect(file.startsWith(`${tlsMount.mountPath}/`), file).toBe(true);
    // TLS is for the data listener only: the kubelet still probes the admin port over plain HTTP.
    expect(gatewayContainer(objects).readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "admin" } });
  });

  it("every option", async () => {
    const over = valueSets["every option"]!;
    const objects = await template(over);
    expect(kinds(objects)).toEqual(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "ServiceMonitor"]);
    const deployment = find(objects, "Deployment")!;
    expect((deployment.spec as Obj).replicas, "the HPA owns replicas").toBeUndefined();
    const template_ = (deployment.spec as Obj).template as Obj;
    expect((template_.metadata as Obj).annotations).toEqual({ "checksum/config": createHash("sha256").update(String(over.config)).digest("hex"), "example.com/a": "b" });
    const pod = podOf(objects);
    expect(pod.terminationGracePeriodSeconds).toBe(0 + 51 + 5);
    expect(pod.tolerations).toEqual([{ key: "k", operator: "Exists" }]);
    expect(pod.topologySpreadConstraints).toEqual([{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" }]);
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
    expect(((find(objects, "ServiceMonitor")!.metadata as Obj).labels as Obj).release).toBe("kps");
    expect(((find(objects, "Ingress")!.spec as Obj).rules as Obj[])[0]).toMatchObject({ host: "aigw.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "aigw", port: { number: 8080 } } } }] } });
    expect(find(objects, "PodDisruptionBudget")!.spec).toMatchObject({ minAvailable: "50%" });
    expect((find(objects, "HorizontalPodAutoscaler")!.spec as Obj).metrics).toHaveLength(2);
    const text = await notes(over);
    expect(text).toContain("https://aigw.example.com");
    expect(text).not.toContain("Note: 2 replicas"); // the HPA decides
  });

  it("an existing ConfigMap and Secrets: creates neither", async () => {
    const over = valueSets["an existing ConfigMap and Secrets"]!;
    const objects = await template(over);
    expect(kinds(objects)).not.toContain("ConfigMap");
    expect(kinds(objects)).not.toContain("Secret");
    const pod = podOf(objects);
    expect(pod.terminationGracePeriodSeconds).toBe(77);
    expect((pod.volumes as Obj[])[0]).toEqual({ name: "config", configMap: { name: "gitops-config", items: [{ key: "aigw.yaml", path: "gateway.yaml" }] } });
    const c = gatewayContainer(objects);
    expect(c.startupProbe).toBeUndefined();
    expect(c.env).toEqual([
      { name: "AIGW_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "admin", key: "token" } } },
      { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "redis", key: "REDIS_URL" } } },
    ]);
    const text = await notes(over);
    expect(text).toContain("ConfigMap gitops-config (key aigw.yaml)");
    expect(text).toContain("get secret admin -o jsonpath='{.data.token}'");
  });

  it.each([
    ["an admin listener on loopback", { config: (values.config as string).replace("admin: 0.0.0.0:9090", "admin: 127.0.0.1:9090") }, /server.admin \(127\.0\.0\.1:9090\) is on loopback/],
    ["ports that differ from the config's", { ports: { http: 8081, admin: 9090 } }, /does not use ports.http/],
    ["a config that is not YAML", { config: "version: 1\nserver: [\n" }, /not valid YAML/],
    ["no config", { config: "" }, /config is empty/],
    ["values that values.schema.json rejects", { replicas: 3 }, /values don't meet the specifications of the schema/],
  ])("refuses to render %s", async (_name, over, message) => {
    expect(await refusal(over as Obj)).toMatch(message);
  });

  it("refuses the repository's root gateway.yaml, written for a laptop (admin on loopback)", async () => {
    expect(await refusal({}, ["--set-file", `config=${join(root, "gateway.yaml")}`])).toMatch(/is on loopback: the kubelet's probes cannot reach it/);
  });
});

describe("the chart README's example", () => {
  const dir = join(tmp, "readme-example");
  const readme = read(join(chart, "README.md"));
  const showValues = "helm show values charts/aigw --jsonpath '{.config}' > gateway.k8s.yaml";
  const install = "helm install aigw charts/aigw --set-file config=gateway.k8s.yaml";

  /** The two commands of the README, run from the repository root into `dir`. */
  async function followReadme(): Promise<{ config: string; objects: Obj[] }> {
    expect(readme).toContain(showValues);
    expect(readme).toContain(install);
    const shown = await h().run(["show", "values", chart, "--jsonpath", "{.config}"]);
    expect(shown.code, shown.stderr).toBe(0);
    cpSync(chart, join(dir, "charts/aigw"), { recursive: true });
    writeFileSync(join(dir, "gateway.k8s.yaml"), shown.stdout);
    const rendered = await h().run(["template", "aigw", join(dir, "charts/aigw"), "--namespace", "default", "--set-file", `config=${join(dir, "gateway.k8s.yaml")}`]);
    expect(rendered.code, rendered.stderr).toBe(0);
    return { config: shown.stdout, objects: parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Obj).filter((o) => o !== null) };
  }

  it("renders a pod whose probes reach the admin listener, guarded by the token in the chart's Secret", async () => {
    const { config, objects } = await followReadme();
    const configMap = objects.find((o) => o.kind === "ConfigMap")!;
    expect((configMap.data as Record<string, string>)["gateway.yaml"]).toBe(config);
    const server = (parse(config) as { server: { admin: string; adminAuth: { tokens: { value: string; role: string }[] } } }).server;
    // The kubelet probes the pod IP: the admin listener binds every interface, on the container's admin port.
    expect(server.admin).toBe(`0.0.0.0:${(values.ports as Obj).admin}`);
    const pod = ((objects.find((o) => o.kind === "Deployment")!.spec as Obj).template as Obj).spec as Obj;
    const c = (pod.containers as Obj[]).find((x) => x.name === "aigw")!;
    const adminPort = (c.ports as Obj[]).find((p) => p.name === "admin")!;
    expect(adminPort.containerPort).toBe(port(server.admin));
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) expect((c[probe] as Obj).httpGet, probe).toMatchObject({ port: "admin" });
    // Exposed, so it needs adminAuth: an operator token read from AIGW_ADMIN_TOKEN, which the pod gets from the chart's Secret.
    expect(server.adminAuth.tokens).toEqual([expect.objectContaining({ value: "${AIGW_ADMIN_TOKEN}", role: "operator" })]);
    const secret = objects.find((o) => o.kind === "Secret")!;
    expect(c.env).toContainEqual({ name: "AIGW_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: (secret.metadata as Obj).name, key: "AIGW_ADMIN_TOKEN" } } });
    const token = Buffer.from(String((secret.data as Obj).AIGW_ADMIN_TOKEN), "base64").toString("utf8");
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    // What the init container runs, with the pod's environment.
    await expectValidConfig(config, "readme-example.yaml", { AIGW_ADMIN_TOKEN: token });
  }, 30_000);

  // A non-loopback address of this machine stands in for the pod IP the kubelet probes.
  const podIp = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;

  it.skipIf(podIp === undefined)("serves that config: probes answer on a non-loopback address, /admin/* only with the token", async () => {
    const { config, objects } = await followReadme();
    const secret = objects.find((o) => o.kind === "Secret")!;
    const token = Buffer.from(String((secret.data as Obj).AIGW_ADMIN_TOKEN), "base64").toString("utf8");
    // Only the port numbers change (0: any free port), so tests never collide on 8080/9090.
    const file = join(dir, "gateway.k8s.ephemeral.yaml");
    writeFileSync(file, config.replace("listen: 0.0.0.0:8080", "listen: 0.0.0.0:0").replace("admin: 0.0.0.0:9090", "admin: 0.0.0.0:0"));
    const gw = await spawnGateway(file, { AIGW_ADMIN_TOKEN: token });
    try {
      const admin = `http://${podIp}:${new URL(gw.adminUrl).port}`;
      for (const path of ["/health", "/ready"]) expect((await fetch(`${admin}${path}`)).status, path).toBe(200);
      expect((await fetch(`${admin}/metrics`)).status).toBe(200);
      expect((await fetch(`${admin}/admin/config`)).status).toBe(401);
      expect((await fetch(`${admin}/admin/config`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      // The config drains for 5 s on SIGTERM; nothing here is in flight.
      gw.child.kill("SIGKILL");
      await gw.exited;
    }
  }, 30_000);
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

describe("docs/operations.md", () => {
  it("covers install and Kubernetes deployment, and says what the test suite does not run", () => {
    const doc = read(join(root, "docs/operations.md"));
    const headings = [...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 2)).toEqual(["Install", "Kubernetes"]);
    const section = doc.slice(doc.indexOf("## Install"), doc.indexOf("\n## Several cores"));
    for (const s of ["npm install -g ./aigw-", "docker build", "charts/aigw", "examples/kubernetes/", "/admin/config", "aigw_config_info", "aigw plan"]) expect(section).toContain(s);
    const checks = section.slice(section.indexOf("### What the test suite checks"));
    expect(checks).toMatch(/does not build the container image/);
    expect(checks).toMatch(/does not install\s+the chart into a cluster/);
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
