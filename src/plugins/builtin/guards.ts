import { HttpError } from "../../errors/http.js";
import type { BuiltinPlugin, CompletionGuard } from "../instance.js";
import { compileMatcher, redact, type Matcher } from "./detect.js";
import { guardStream } from "./stream-guard.js";

/** A guard's config as validated: the schema fills `policy` (block) and, for response guards, `window` (128). */
interface GuardConfig {
  policy: "block" | "redact";
  detectors?: string[];
  patterns?: string[];
  replacement?: string;
  window: number;
}

type Slot = { holder: Record<string, unknown> | unknown[]; key: string | number };

/** Text parts of a message `content` (a string, or parts with `text`). */
function contentSlots(holder: Record<string, unknown>, key: string, out: Slot[]): void {
  const content = holder[key];
  if (typeof content === "string") out.push({ holder, key });
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part !== null && typeof part === "object" && typeof (part as Record<string, unknown>).text === "string") out.push({ holder: part as Record<string, unknown>, key: "text" });
    }
  }
}

/**
 * Where a request carries prompt text: chat `messages[].content` (strings
 * and text parts, every role), Anthropic's `system`, completions' `prompt`,
 * embeddings' and the Responses API's `input` (strings, or messages).
 */
export function promptSlots(body: Record<string, unknown>): Slot[] {
  const out: Slot[] = [];
  const messages = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const m of list) if (m !== null && typeof m === "object" && !Array.isArray(m)) contentSlots(m as Record<string, unknown>, "content", out);
  };
  const strings = (key: string): void => {
    const v = body[key];
    if (typeof v === "string") out.push({ holder: body, key });
    else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (typeof item === "string") out.push({ holder: v, key: i });
      });
      messages(v);
    }
  };
  messages(body.messages);
  contentSlots(body, "system", out);
  strings("prompt");
  strings("input");
  return out;
}

const read = (s: Slot): string => (s.holder as Record<string | number, unknown>)[s.key] as string;
const write = (s: Slot, text: string): void => {
  (s.holder as Record<string | number, unknown>)[s.key] = text;
};

/**
 * Scans slots: with `block`, the kind of the first match (nothing is
 * changed); with `redact`, replaces matches in place and tells whether
 * anything changed.
 */
function scan(slots: readonly Slot[], matcher: Matcher, block: boolean): { blocked: string } | { changed: boolean } {
  let changed = false;
  for (const slot of slots) {
    const text = read(slot);
    if (block) {
      const kind = matcher.detect(text);
      if (kind !== null) return { blocked: kind };
      continue;
    }
    const matches = matcher.find(text);
    if (matches.length > 0) {
      write(slot, redact(text, matches));
      changed = true;
    }
  }
  return { changed };
}

/**
 * `prompt-guard` (request phase, AI routes): before the upstream sees the
 * request, `block` answers 400 `prompt_blocked` (OpenAI error shape, the
 * message names the kind of data, never the data); `redact` replaces each
 * match (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[API_KEY]`, `[REDACTED]`, or
 * `replacement`) and the upstream gets the rewritten JSON body.
 */
export const promptGuard: BuiltinPlugin = {
  name: "prompt-guard",
  needsBody: true,
  create(raw) {
    const config = raw as unknown as GuardConfig;
    const matcher = compileMatcher(config);
    const block = config.policy === "block";
    return {
      request(call) {
        const body = call.ctx.json;
        if (body === null) return;
        const r = scan(promptSlots(body), matcher, block);
        if ("blocked" in r) throw new HttpError("prompt_blocked", `the prompt was blocked by prompt-guard: it contains ${r.blocked}`);
        if (r.changed) call.markBodyChanged();
      },
    };
  },
};

/**
 * `response-guard` (AI routes, chat completions, translated providers
 * included): the assistant's text (`choices[].message.content`, or the
 * streamed `choices[].delta.content`). `redact` rewrites it; `block`
 * answers 400 `response_blocked` instead of a whole completion, and ends a
 * stream with an error event (no further content, no `[DONE]`; the
 * upstream request is cut). Streams are scanned across chunk boundaries
 * (see stream-guard.ts): text is held back by up to `window` characters,
 * and a match still growing past `window` + MAX_HELD_MATCH ends the stream
 * as `block` would, whatever the policy (it can be neither held nor
 * released whole).
 */
export const responseGuard: BuiltinPlugin = {
  name: "response-guard",
  needsBody: false,
  create(raw) {
    const config = raw as unknown as GuardConfig;
    const matcher = compileMatcher(config);
    const block = config.policy === "block";
    const window = config.window;
    const guard: CompletionGuard = {
      completion(body) {
        const slots: Slot[] = [];
        for (const c of Array.isArray(body.choices) ? body.choices : []) {
          const message = (c as Record<string, unknown> | null)?.message;
          if (message !== null && typeof message === "object") contentSlots(message as Record<string, unknown>, "content", slots);
        }
        const r = scan(slots, matcher, block);
        if ("blocked" in r) return new HttpError("response_blocked", `the response was blocked by response-guard: it contains ${r.blocked}`);
        return r.changed;
      },
      stream: (inner, onBlock) => guardStream(inner, matcher, window, block, onBlock),
    };
    return { guard };
  },
};
