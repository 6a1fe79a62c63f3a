import { HttpError } from "../../errors/http.js";
import type { OpenAIChatRequest, ProviderRequest, TranslateContext } from "../types.js";
import { isObject, num, str, type Json } from "./util.js";

/**
 * OpenAI Chat Completions request → Anthropic Messages request
 * (MAPPING.md table 1.2). What cannot be expressed and would change the
 * answer the client expects is refused with 400 (`invalid_body`); knobs
 * that only tune sampling or bookkeeping are dropped. The full list is in
 * `index.ts`.
 */

export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";
/** From this `anthropic-version` on, `temperature`/`top_p`/`top_k` are a 400 upstream. */
const SAMPLING_REMOVED_IN = "2026-10-21";
const DEFAULT_MAX_TOKENS = 4096;
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** Whether `version` still accepts `temperature` and `top_p` (versions are ISO dates). */
export const samplingAllowed = (version: string): boolean => version < SAMPLING_REMOVED_IN;

function reject(message: string): never {
  throw new HttpError("invalid_body", message);
}

export function anthropicRequest(body: OpenAIChatRequest, ctx: TranslateContext): ProviderRequest {
  const version = ctx.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION;
  return {
    path: "/v1/messages",
    headers: { "content-type": "application/json", "anthropic-version": version },
    body: Buffer.from(JSON.stringify(anthropicBody(body, ctx, version))),
  };
}

/** The Messages API body (exported for tests). */
export function anthropicBody(body: OpenAIChatRequest, ctx: TranslateContext, version = ctx.anthropicVersion ?? DEFAULT_ANTHROPIC_VERSION): Json {
  if (!isObject(body)) reject("the request body must be a JSON object");
  refuseUnsupported(body);
  if (!Array.isArray(body.messages)) reject("'messages' must be an array");
  const { system, messages } = convertMessages(body.messages);

  const out: Json = { model: ctx.model || body.model };
  out.max_tokens = num(body.max_completion_tokens) ?? num(body.max_tokens) ?? (ctx.defaultMaxTokens > 0 ? ctx.defaultMaxTokens : DEFAULT_MAX_TOKENS);
  if (system !== undefined) out.system = system;
  out.messages = messages;

  const tools = convertTools(body);
  if (tools.length > 0) {
    out.tools = tools;
    const choice = convertToolChoice(body, tools);
    if (choice !== undefined) out.tool_choice = choice;
  }

  const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === "string") : [];
  if (stop.length > 0) out.stop_sequences = stop;

  if (samplingAllowed(version)) {
    const temperature = num(body.temperature);
    // OpenAI's range is 0–2, Anthropic's 0–1: clamp.
    if (temperature !== undefined) out.temperature = Math.min(Math.max(temperature, 0), 1);
    const topP = num(body.top_p);
    // top_p ≥ 1 is a no-op; newer models refuse temperature and top_p together.
    if (topP !== undefined && topP < 1) out.top_p = Math.max(topP, 0);
  }

  const user = str(body.safety_identifier) ?? str(body.user);
  if (user !== undefined && user !== "") out.metadata = { user_id: user };

  const format = body.response_format;
  if (isObject(format) && format.type === "json_schema") {
    const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isObject(schema)) reject("'response_format.json_schema.schema' must be an object");
    out.output_config = { format: { type: "json_schema", schema } };
  }

  out.stream = body.stream === true;
  return out;
}

/** Options whose answer the Messages API cannot give: a 400 rather than a silent change. */
function refuseUnsupported(body: Json): void {
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) reject("'n' other than 1 is not supported by this upstream (Anthropic returns one choice)");
  if (body.logprobs === true) reject("'logprobs' is not supported by this upstream (Anthropic)");
  const top = num(body.top_logprobs);
  if (top !== undefined && top > 0) reject("'top_logprobs' is not supported by this upstream (Anthropic)");
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== "text")) reject("only the 'text' modality is supported by this upstream (Anthropic)");
  if (body.audio !== undefined && body.audio !== null) reject("'audio' output is not supported by this upstream (Anthropic)");
  const format = body.response_format;
  if (isObject(format) && format.type !== "text" && format.type !== "json_schema") {
    reject(`'response_format' type '${String(format.type)}' is not supported by this upstream (Anthropic); use 'json_schema'`);
  }
}

// ---------------------------------------------------------------- messages

interface Turn {
  role: "user" | "assistant";
  content: string | Json[];
}

function convertMessages(input: unknown[]): { system: string | Json[] | undefined; messages: Turn[] } {
  const systemBlocks: Json[] = [];
  let systemMessages = 0;
  let systemString: string | undefined;
  const messages: Turn[] = [];
  /** The user turn holding the tool results of the current run of `tool` messages. */
  let toolTurn: Json[] | undefined;
  /** Legacy `function_call`s: name → the id minted for the latest call. */
  const functionIds = new Map<string, string>();

  input.forEach((m, i) => {
    if (!isObject(m)) reject(`'messages[${i}]' must be an object`);
    const role = m.role;
    switch (role) {
      case "system":
      case "developer": {
        systemMessages++;
        if (typeof m.content === "string") systemString = m.content;
        systemBlocks.push(...systemText(m.content, i));
        return;
      }
      case "user":
        toolTurn = undefined;
        messages.push({ role: "user", content: userContent(m.content, i) });
        return;
      case "assistant": {
        toolTurn = undefined;
        const turn = assistantTurn(m, i, functionIds);
        if (turn !== undefined) messages.push(turn);
        return;
      }
      case "tool":
      case "function": {
        let id: string | undefined;
        if (role === "tool") id = str(m.tool_call_id);
        else id = functionIds.get(str(m.name) ?? "");
        if (id === undefined || id === "") reject(`'messages[${i}]': a ${role} message needs ${role === "tool" ? "'tool_call_id'" : "the 'name' of an earlier function_call"}`);
        const block: Json = { type: "tool_result", tool_use_id: id, content: toolResultContent(m.content, i) };
        if (toolTurn === undefined) {
          toolTurn = [];
          messages.push({ role: "user", content: toolTurn });
        }
        toolTurn.push(block);
        return;
      }
      default:
        reject(`'messages[${i}].role' ${JSON.stringify(role)} is not supported`);
    }
  });

  let system: string | Json[] | undefined;
  if (systemMessages === 1 && systemString !== undefined && systemString !== "") system = systemString;
  else if (systemBlocks.length > 0) system = systemBlocks;
  return { system, messages };
}

function systemText(content: unknown, i: number): Json[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return reject(`'messages[${i}].content' must be a string or an array of text parts`);
  return content.map((p, j) => {
    if (!isObject(p) || p.type !== "text" || typeof p.text !== "string") reject(`'messages[${i}].content[${j}]': a system message takes text parts only`);
    return { type: "text", text: (p as Json).text };
  });
}

function userContent(content: unknown, i: number): string | Json[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return reject(`'messages[${i}].content' must be a string or an array of content parts`);
  return content.map((p, j) => contentPart(p, `messages[${i}].content[${j}]`));
}

function toolResultContent(content: unknown, i: number): string | Json[] {
  if (content === null || content === undefined) return "";
  return userContent(content, i);
}

function contentPart(part: unknown, where: string): Json {
  if (!isObject(part)) return reject(`'${where}' must be an object`);
  switch (part.type) {
    case "text":
      if (typeof part.text !== "string") reject(`'${where}.text' must be a string`);
      return { type: "text", text: part.text };
    case "image_url":
      return imageBlock(part.image_url, where);
    case "file":
      return documentBlock(part.file, where);
    case "input_audio":
      return reject(`'${where}': audio input is not supported by this upstream (Anthropic)`);
    default:
      return reject(`'${where}': content part type ${JSON.stringify(part.type)} is not supported by this upstream (Anthropic)`);
  }
}

/** `data:<mime>[;param]*;base64,<data>` → mime and data, or undefined. */
function parseDataUrl(url: string): { mime: string; data: string } | undefined {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma === -1) return undefined;
  const [mime = "", ...params] = url.slice(5, comma).split(";");
  if (!params.some((p) => p.trim().toLowerCase() === "base64")) return undefined;
  return { mime: mime.trim().toLowerCase(), data: url.slice(comma + 1) };
}

function imageBlock(image: unknown, where: string): Json {
  const url = typeof image === "string" ? image : isObject(image) ? str(image.url) : undefined;
  if (url === undefined) return reject(`'${where}.image_url.url' must be a string`);
  if (url.startsWith("data:")) {
    const parsed = parseDataUrl(url);
    if (parsed === undefined) return reject(`'${where}.image_url.url': only base64 data URLs are supported`);
    const mime = parsed.mime === "image/jpg" ? "image/jpeg" : parsed.mime;
    if (!IMAGE_TYPES.has(mime)) return reject(`'${where}.image_url.url': image type '${parsed.mime}' is not supported (jpeg, png, gif, webp)`);
    return { type: "image", source: { type: "base64", media_type: mime, data: parsed.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  return reject(`'${where}.image_url.url' must be an http(s) URL or a base64 data URL`);
}

function documentBlock(file: unknown, where: string): Json {
  if (!isObject(file)) return reject(`'${where}.file' must be an object`);
  if (typeof file.file_data !== "string") {
    return reject(`'${where}.file': only inline 'file_data' is supported by this upstream (Anthropic); 'file_id' has no equivalent`);
  }
  let data = file.file_data;
  if (data.startsWith("data:")) {
    const parsed = parseDataUrl(data);
    if (parsed === undefined || parsed.mime !== "application/pdf") return reject(`'${where}.file.file_data': only base64 PDF files are supported`);
    data = parsed.data;
  }
  return { type: "document", source: { type: "base64", media_type: "application/pdf", data } };
}

function assistantTurn(m: Json, i: number, functionIds: Map<string, string>): Turn | undefined {
  const blocks: Json[] = [];
  const content = m.content;
  if (typeof content === "string") {
    if (content !== "") blocks.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((p, j) => {
      if (!isObject(p)) reject(`'messages[${i}].content[${j}]' must be an object`);
      const part = p as Json;
      if (part.type === "refusal") return; // no Anthropic equivalent
      if (part.type !== "text" || typeof part.text !== "string") reject(`'messages[${i}].content[${j}]': an assistant message takes text parts only`);
      if (part.text !== "") blocks.push({ type: "text", text: part.text });
    });
  } else if (content !== null && content !== undefined) {
    reject(`'messages[${i}].content' must be a string, an array of text parts or null`);
  }
  const textOnly = blocks.length;

  const calls = m.tool_calls;
  if (calls !== undefined && calls !== null) {
    if (!Array.isArray(calls)) reject(`'messages[${i}].tool_calls' must be an array`);
    (calls as unknown[]).forEach((c, j) => {
      const where = `messages[${i}].tool_calls[${j}]`;
      if (!isObject(c) || (c.type !== undefined && c.type !== "function")) reject(`'${where}': only function tool calls are supported by this upstream (Anthropic)`);
      const call = c as Json;
      const fn = isObject(call.function) ? call.function : {};
      const id = str(call.id);
      const name = str(fn.name);
      if (id === undefined || name === undefined) reject(`'${where}' needs 'id' and 'function.name'`);
      blocks.push({ type: "tool_use", id, name, input: toolInput(fn.arguments, where) });
    });
  }
  const legacy = m.function_call;
  if (isObject(legacy)) {
    const name = str(legacy.name);
    if (name === undefined) reject(`'messages[${i}].function_call.name' must be a string`);
    const id = `call_fn${i}`;
    functionIds.set(name!, id);
    blocks.push({ type: "tool_use", id, name, input: toolInput(legacy.arguments, `messages[${i}].function_call`) });
  }

  if (blocks.length === 0) {
    // An empty assistant turn (no text, no calls) is refused upstream; it carries nothing.
    return undefined;
  }
  if (typeof content === "string" && textOnly === blocks.length) return { role: "assistant", content };
  return { role: "assistant", content: blocks };
}

/** `function.arguments` (a JSON string) → the `tool_use.input` object. */
function toolInput(args: unknown, where: string): Json {
  if (isObject(args)) return args;
  if (args === undefined || args === null || (typeof args === "string" && args.trim() === "")) return {};
  if (typeof args !== "string") return reject(`'${where}.function.arguments' must be a JSON string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return reject(`'${where}.function.arguments' is not valid JSON`);
  }
  if (!isObject(parsed)) return reject(`'${where}.function.arguments' must encode a JSON object`);
  return parsed;
}

// ---------------------------------------------------------------- tools

function convertTools(body: Json): Json[] {
  const out: Json[] = [];
  if (Array.isArray(body.tools)) {
    body.tools.forEach((t, i) => {
      if (!isObject(t) || t.type !== "function" || !isObject(t.function)) {
        reject(`'tools[${i}]': only function tools are supported by this upstream (Anthropic)`);
      }
      out.push(toolDefinition((t as Json).function as Json, `tools[${i}].function`));
    });
  } else if (Array.isArray(body.functions)) {
    // Deprecated `functions`: the same definitions without the wrapper.
    body.functions.forEach((f, i) => {
      if (!isObject(f)) reject(`'functions[${i}]' must be an object`);
      out.push(toolDefinition(f as Json, `functions[${i}]`));
    });
  }
  return out;
}

function toolDefinition(fn: Json, where: string): Json {
  const name = str(fn.name);
  if (name === undefined || name === "") return reject(`'${where}.name' must be a non-empty string`);
  const out: Json = { name };
  if (typeof fn.description === "string") out.description = fn.description;
  // Anthropic requires an object schema; OpenAI allows none for no-argument functions.
  out.input_schema = isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} };
  return out;
}

function convertToolChoice(body: Json, tools: Json[]): Json | undefined {
  let choice: Json | undefined;
  const tc = body.tool_choice ?? legacyFunctionCall(body.function_call);
  if (tc === "auto") choice = { type: "auto" };
  else if (tc === "required") choice = { type: "any" };
  else if (tc === "none") choice = { type: "none" };
  else if (isObject(tc) && tc.type === "function") {
    const name = isObject(tc.function) ? str(tc.function.name) : undefined;
    if (name === undefined) return reject("'tool_choice.function.name' must be a string");
    choice = { type: "tool", name };
  } else if (isObject(tc) && tc.type === "allowed_tools") {
    const allowed = isObject(tc.allowed_tools) ? tc.allowed_tools : {};
    const names = new Set(
      (Array.isArray(allowed.tools) ? allowed.tools : []).map((t) => (isObject(t) && isObject(t.function) ? str(t.function.name) : undefined)).filter((n) => n !== undefined),
    );
    const kept = tools.filter((t) => names.has(t.name as string));
    tools.splice(0, tools.length, ...kept);
    if (tools.length === 0) reject("'tool_choice.allowed_tools' names none of the request's tools");
    choice = { type: allowed.mode === "required" ? "any" : "auto" };
  } else if (tc !== undefined && tc !== null) {
    return reject("'tool_choice' must be 'auto', 'required', 'none' or a function choice");
  }

  const parallel = body.parallel_tool_calls;
  if (typeof parallel === "boolean" && choice?.type !== "none") {
    if (choice !== undefined) choice.disable_parallel_tool_use = !parallel;
    else if (!parallel) choice = { type: "auto", disable_parallel_tool_use: true };
  }
  return choice;
}

/** Deprecated `function_call: "auto" | "none" | {name}` → a `tool_choice`. */
function legacyFunctionCall(fc: unknown): unknown {
  if (fc === "auto" || fc === "none") return fc;
  if (isObject(fc) && typeof fc.name === "string") return { type: "function", function: { name: fc.name } };
  return undefined;
}
