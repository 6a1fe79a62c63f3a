import { isObject, str, type Json } from "../util.js";
import { toolResultContent, userContent } from "./content.js";
import { reject } from "./reject.js";

export interface Turn {
  role: "user" | "assistant";
  content: string | Json[];
}

/** Chat Completions `messages` → Anthropic `system` and alternating user/assistant turns. */
export function convertMessages(input: unknown[]): { system: string | Json[] | undefined; messages: Turn[] } {
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
