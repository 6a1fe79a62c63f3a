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
    // A loop, not find(): this runs on every AI request, and find() makes a closure per call.
    for (const entry of this.entries) if (entry.glob.test(model)) return entry;
    return undefined;
  }

  /** Whether a request's price can depend on its answer's model: nothing prices its own model, and some model has a price. */
  needsAnswerModel(requestModel: string | undefined): boolean {
    return this.entries.length > 0 && this.priceOf(requestModel) === undefined;
  }

  /** The price of a request: its model's, else its answer's model's (undefined when neither is priced). */
  priceFor(requestModel: string | undefined, responseModel: string | undefined): CompiledPrice | undefined {
    return this.priceOf(requestModel) ?? this.priceOf(responseModel);
  }
}

/** Cost in USD of `usage` at `price` (0 when unpriced). */
export function costAt(price: { readonly input: number; readonly output: number } | undefined, usage: Usage): number {
  if (price === undefined) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}
