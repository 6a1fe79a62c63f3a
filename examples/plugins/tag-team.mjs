// A custom aigw plugin, written as a user would write one: an ES module whose
// default export is a `Plugin` (the type comes from the aigw package; the
// JSDoc below lets an editor or `tsc --checkJs` check this file against it).
//
// tag-team tells the upstream which team a request is for, and the client
// which team was charged:
//   - request:  sets a header (default `x-team`) on the request the upstream
//               receives, from the caller's consumer (`teams` maps consumers
//               to teams; `fallback` covers everyone else);
//   - response: echoes the team on the answer;
//   - complete: logs the tokens each team used.
//
// A caller no team owns is a mistake in the config, not in the request, so
// the plugin throws: the gateway answers that request with 500 in its error
// shape, counts aigw_plugin_errors_total{plugin="tag-team"}, and goes on
// serving. (A plugin that wants to refuse a request returns an answer
// instead: `return { status: 403, body: { error: "no team" } }`.)
//
// Use it from a config (the path is relative to the config file):
//   plugins:
//     - name: tag-team
//       module: ./plugins/tag-team.mjs
//       config: { teams: { alice: search, bob: ads }, fallback: shared }

/** @typedef {{ teams: Record<string, string>, header: string, fallback?: string }} TagTeamConfig */

/** @type {import("aigw").Plugin<TagTeamConfig>} */
const tagTeam = {
  name: "tag-team",
  // The JSON Schema of `config`: `aigw validate` checks the config against it
  // (findings at the config's own line and column), and the defaults it
  // declares are filled in before `create` sees the config.
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["teams"],
    properties: {
      teams: { type: "object", additionalProperties: { type: "string", minLength: 1 } },
      header: { type: "string", pattern: "^[a-z0-9-]+$", default: "x-team" },
      fallback: { type: "string", minLength: 1 },
    },
  },
  // Runs once per loaded config (and again after a reload).
  create(config, env) {
    env.log.info("tag-team ready", { teams: Object.keys(config.teams).length });
    /** @param {import("aigw").PluginContext} ctx */
    const teamOf = (ctx) => {
      const team = (ctx.consumer === null ? undefined : config.teams[ctx.consumer]) ?? config.fallback;
      if (team === undefined) throw new Error(`no team for consumer ${ctx.consumer ?? "(anonymous)"}`);
      return team;
    };
    return {
      request(ctx) {
        ctx.headers[config.header] = teamOf(ctx);
      },
      response(ctx) {
        if (ctx.response !== null) ctx.response.headers[config.header] = teamOf(ctx);
      },
      complete(ctx) {
        if (ctx.usage !== null) ctx.log.info("team usage", { team: teamOf(ctx), inputTokens: ctx.usage.inputTokens, outputTokens: ctx.usage.outputTokens });
      },
    };
  },
};

export default tagTeam;
