/**
 * Every lint rule, in the order they run and are listed. Ids are stable: CI
 * scripts, SARIF viewers and `lint.rules` refer to them. DESIGN.md 7's
 * "weights that sum to zero" is a validate error (`upstream.weights-zero`,
 * `route.split.weights-zero`), so lint reports it through validate's findings.
 */
import type { LintRule } from "../rule.js";
import { rule as authUnused } from "./auth.unused.js";
import { rule as budgetOnErrorAllow } from "./budget.on-error-allow.js";
import { rule as configEnvUnset } from "./config.env.unset.js";
import { rule as configInlineSecret } from "./config.inline-secret.js";
import { rule as consumerModelsUnreachable } from "./consumer.models.unreachable.js";
import { rule as consumerUnreachable } from "./consumer.unreachable.js";
import { rule as lintRuleUnknown } from "./lint.rule.unknown.js";
import { rule as pluginCorsCredentialsAnyOrigin } from "./plugin.cors.credentials-any-origin.js";
import { rule as pricingModelUncovered } from "./pricing.model.uncovered.js";
import { rule as rateLimitUnused } from "./rate-limit.unused.js";
import { rule as routeAiNoRateLimit } from "./route.ai.no-rate-limit.js";
import { rule as routeCacheNondeterministic } from "./route.cache.nondeterministic.js";
import { rule as routeFallbackCycle } from "./route.fallback.cycle.js";
import { rule as routeFallbackPricier } from "./route.fallback.pricier.js";
import { rule as routeModelClaimedTwice } from "./route.model.claimed-twice.js";
import { rule as routePublicAi } from "./route.public-ai.js";
import { rule as routeShadowed } from "./route.shadowed.js";
import { rule as stateMemoryReplicas } from "./state.memory.replicas.js";
import { rule as upstreamNoTimeouts } from "./upstream.no-timeouts.js";
import { rule as upstreamRetriesNoBudget } from "./upstream.retries.no-budget.js";
import { rule as upstreamUnused } from "./upstream.unused.js";

export const LINT_RULES: readonly LintRule[] = Object.freeze([
  routeShadowed,
  routeModelClaimedTwice,
  routePublicAi,
  routeAiNoRateLimit,
  routeCacheNondeterministic,
  routeFallbackCycle,
  routeFallbackPricier,
  pluginCorsCredentialsAnyOrigin,
  upstreamUnused,
  upstreamNoTimeouts,
  upstreamRetriesNoBudget,
  rateLimitUnused,
  authUnused,
  consumerUnreachable,
  consumerModelsUnreachable,
  pricingModelUncovered,
  budgetOnErrorAllow,
  stateMemoryReplicas,
  configInlineSecret,
  configEnvUnset,
  lintRuleUnknown,
]);

export function lintRule(id: string): LintRule | undefined {
  return LINT_RULES.find((r) => r.id === id);
}
