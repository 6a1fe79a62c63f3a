import { describe, expect, it } from "vitest";
import type { CompiledRoute } from "../../src/compile/route.js";
import { composeChain } from "../../src/pipeline/order.js";
import type { ChainStage, RequestContext, RequestResources, Run, StageFactory } from "../../src/pipeline/types.js";

/** A context is only passed through here: an empty object stands for one. */
const ctx = {} as RequestContext;
const route = {} as CompiledRoute;
const resources = {} as RequestResources;

function factories(trace: string[], kinds: string): StageFactory[] {
  return [...kinds].map((kind, i): StageFactory => {
    const name = `${kind}${i}`;
    const stage: ChainStage =
      kind === "p"
        ? async (c, next) => {
            trace.push(name);
            await next(c);
            trace.push(`${name}:after`);
          }
        : {
            run: (c, next, done) => {
              trace.push(name);
              next(c, done);
            },
          };
    return { name, create: () => stage };
  });
}

const runToEnd = (run: Run): Promise<unknown> => new Promise((resolve) => run(ctx, (err) => resolve(err)));

describe("composeChain", () => {
  it("runs callback and promise stages in order around the terminal, in every mix", async () => {
    for (const kinds of ["", "r", "p", "rr", "pp", "rp", "pr", "prrp", "rppr", "ppprp"]) {
      const trace: string[] = [];
      const terminal: Run = (_c, done) => {
        trace.push("proxy");
        done();
      };
      const { run, stages } = composeChain(route, resources, terminal, factories(trace, kinds));
      expect(stages).toEqual([...[...kinds].map((k, i) => `${k}${i}`), "proxy"]);
      expect(await runToEnd(run)).toBeUndefined();
      const before = [...kinds].map((k, i) => `${k}${i}`);
      const after = [...kinds].map((k, i) => (k === "p" ? `p${i}:after` : null)).filter((s) => s !== null).reverse();
      expect({ kinds, trace }).toEqual({ kinds, trace: [...before, "proxy", ...after] });
    }
  });

  it("ends with a stage's failure, whichever form it has, and runs nothing after it", async () => {
    const refused = new Error("refused");
    const cases: [string, ChainStage][] = [
      ["callback done(err)", { run: (_c, _next, done) => done(refused) }],
      ["promise rejection", () => Promise.reject(refused)],
    ];
    for (const [what, failing] of cases) {
      let reached = false;
      const terminal: Run = (_c, done) => {
        reached = true;
        done();
      };
      const order: StageFactory[] = [{ name: "first", create: () => ({ run: (c, next, done) => next(c, done) }) }, { name: "failing", create: () => failing }];
      const { run } = composeChain(route, resources, terminal, order);
      expect({ what, err: await runToEnd(run), reached }).toEqual({ what, err: refused, reached: false });
    }
  });

  it("passes a terminal's failure back through promise stages", async () => {
    const cut = new Error("cut");
    const terminal: Run = (_c, done) => done(cut);
    const { run } = composeChain(route, resources, terminal, factories([], "rpr"));
    expect(await runToEnd(run)).toBe(cut);
  });
});
