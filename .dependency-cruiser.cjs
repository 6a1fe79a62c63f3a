/**
 * The layer rule (docs/architecture.md): imports point one way, from the
 * entry points (cli, server, cluster) through reload and pipeline to the
 * leaves and the pure config/compile core. `npm run layers` checks it, and
 * CI fails on any cycle or forbidden edge.
 */
const LEAVES = "^src/(auth|ratelimit|upstream|cache|usage|state|observability|ai|lifecycle|net|errors)/";
// node:net is not on the list: config checks use its address parsing (isIP), never a socket.
const IO = "^(node:)?(http|https|http2|tls|dgram|child_process|cluster|worker_threads)$|^(undici|ioredis|pg|chokidar)$";

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "An import cycle: the layers are one-way.", from: {}, to: { circular: true } },
    {
      name: "pure-core-no-io",
      severity: "error",
      comment: "config/ and compile/ are pure stages: no sockets, processes, threads or network clients.",
      from: { path: "^src/(config|compile)/" },
      to: { dependencyTypes: ["core", "npm"], path: IO },
    },
    {
      name: "leaves-stay-leaves",
      severity: "error",
      comment: "Leaf modules never import the request path, reload, the servers or the CLI.",
      from: { path: LEAVES },
      to: { path: "^src/(pipeline|reload|server|cluster|cli|plugins|explain|routing-tests)/" },
    },
    {
      name: "only-bin-imports-cli",
      severity: "error",
      comment: "cli/ is an entry point: nothing in src/ but cli/ itself imports it.",
      from: { path: "^src/", pathNot: "^src/(cli/|index\\.ts$)" },
      to: { path: "^src/cli/" },
    },
    {
      name: "core-below-runtime",
      severity: "error",
      comment: "config/ and compile/ sit below everything that runs requests.",
      from: { path: "^src/(config|compile)/" },
      to: { path: "^src/(pipeline|reload|server|cluster|cli|plugins|auth|ratelimit|upstream|cache|usage|state|observability)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js", ".mjs"] },
    moduleSystems: ["es6", "cjs"],
  },
};
