import { afterAll, afterEach, beforeAll } from "vitest";
import { fakeOpenAI } from "./fake-openai.js";
import type { FakeUpstream } from "./fake-upstream.js";
import { rateLimitConfig, type RateLimitConfig } from "./ratelimit-config.js";
import { RedisServer } from "./redis.js";

/** What the rate-limit suites share: a real redis-server, a fake OpenAI upstream, cleanups run after each test. */
export interface RateLimitWorld {
  readonly redis: RedisServer;
  readonly openai: FakeUpstream;
  /** Run in reverse order after each test. */
  readonly cleanup: (() => Promise<unknown>)[];
  /** A rate-limit config whose upstream is this world's fake OpenAI. */
  config(options: Omit<RateLimitConfig, "upstreamUrl">): string;
}

/** Registers the suite's hooks (call at the top level of a test file) and returns the world they fill. */
export function rateLimitWorld(): RateLimitWorld {
  let redis: RedisServer | undefined;
  let openai: FakeUpstream | undefined;
  const cleanup: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    redis = await new RedisServer().start();
    openai = await fakeOpenAI({ promptTokens: 100, completionTokens: 20 });
  });
  afterAll(async () => {
    await redis?.stop();
    await openai?.close();
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  return {
    get redis() {
      return redis!;
    },
    get openai() {
      return openai!;
    },
    cleanup,
    config: (options) => rateLimitConfig({ upstreamUrl: openai!.url, ...options }),
  };
}
