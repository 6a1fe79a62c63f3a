import type { CheckContext } from "./context.js";

export function checkUpstreams(ctx: CheckContext): void {
  const { config, reporter } = ctx;
  config.upstreams.forEach((u, i) => {
    const base = ["upstreams", i] as const;
    const name = JSON.stringify(u.name);
    const targets = u.targets ?? [];
    if (u.type === "mock") {
      if (targets.length > 0) {
        reporter.report("warning", "upstream.option.ignored", [...base, "targets"], `upstream ${name} is a mock; its targets are never used`, { key: true });
      }
    } else if (targets.length === 0 && !(u.type === "bedrock" && u.region !== undefined)) {
      reporter.report("error", "upstream.targets.missing", [...base], `upstream ${name} (${u.type}) has no targets`, {
        hint: "add `targets: [{ url: https://host }]`",
      });
    } else if (targets.every((t) => t.weight === 0)) {
      reporter.report("error", "upstream.weights-zero", [...base, "targets"], `upstream ${name}: every target has weight 0, so none can be picked`);
    }
    const seen = new Map<string, number>();
    targets.forEach((t, j) => {
      const key = t.url.replace(/\/+$/, "");
      const first = seen.get(key);
      if (first !== undefined) {
        reporter.report("error", "upstream.target.duplicate", [...base, "targets", j, "url"], `upstream ${name} lists target ${JSON.stringify(t.url)} twice (also item ${first + 1})`);
      } else seen.set(key, j);
    });

    if (u.type === "bedrock" && u.region === undefined) {
      reporter.report("error", "upstream.region.missing", [...base], `upstream ${name} (bedrock) needs a \`region\` for SigV4 signing`);
    }
    const ignored = (key: string, why: string): void =>
      reporter.report("warning", "upstream.option.ignored", [...base, key], `upstream ${name}: \`${key}\` ${why}; it is ignored`, { key: true });
    if (u.type !== "bedrock" && u.region !== undefined) ignored("region", "applies to bedrock upstreams only");
    if (u.type !== "anthropic" && u.anthropicVersion !== undefined) {
      ignored("anthropicVersion", "applies to anthropic upstreams only");
    }
    if (u.type !== "mock" && u.mock !== undefined) ignored("mock", "applies to mock upstreams only");
    if (u.type === "http" && u.models !== undefined) ignored("models", "lists models of AI upstreams only");
    const c = u.credentials;
    if (c !== undefined && u.type !== "bedrock" && (c.accessKeyId ?? c.secretAccessKey ?? c.sessionToken) !== undefined) {
      reporter.report("warning", "upstream.option.ignored", [...base, "credentials"], `upstream ${name}: AWS credentials apply to bedrock upstreams only; they are ignored`, { key: true });
    }
    if (c !== undefined && u.type === "bedrock" && (c.accessKeyId === undefined) !== (c.secretAccessKey === undefined)) {
      reporter.report("error", "upstream.credentials.incomplete", [...base, "credentials"], `upstream ${name}: bedrock needs both accessKeyId and secretAccessKey`, { key: true });
    }
    const hc = u.healthCheck;
    if (hc?.timeoutMs !== undefined && hc.intervalMs !== undefined && hc.timeoutMs >= hc.intervalMs) {
      reporter.report("warning", "upstream.health-check.timeout", [...base, "healthCheck", "timeoutMs"], `upstream ${name}: health-check timeout ${hc.timeoutMs}ms is not shorter than its interval ${hc.intervalMs}ms`);
    }
  });
}
