import { compileGlob, type Glob } from "../compile/router/glob.js";
import type { Price } from "../config/types.js";
import type { Usage } from "./extract.js";

interface CompiledPrice {
  glob: Glob;
  input: number;
  output: number;
}

/**
 * USD per 1M tokens by model glob. Among the entries whose glob matches,
 * the one with the longest literal prefix wins (`gpt-4o-mini*` over
 * `gpt-4o*` over `gpt-*`); the request's model is priced first, then the
 * response's.
 */
export class PriceList {
  private readonly entries: CompiledPrice[];

  constructor(pricing: readonly Price[]) {
    this.entries = pricing
      .map((p) => ({ glob: compileGlob(p.model), input: p.input, output: p.output }))
      .sort((a, b) => b.glob.literalPrefix.length - a.glob.literalPrefix.length);
  }

  priceOf(model: string | undefined): CompiledPrice | undefined {
    if (model === undefined) return undefined;
    return this.entries.find((e) => e.glob.test(model));
  }

  /** Cost in USD, or 0 when neither model is priced. */
  cost(usage: Usage, requestModel: string | undefined, responseModel: string | undefined): number {
    const price = this.priceOf(requestModel) ?? this.priceOf(responseModel);
    if (price === undefined) return 0;
    return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
  }
}
