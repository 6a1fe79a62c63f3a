import { isObject, str, type Json } from "../util.js";
import { reject } from "./reject.js";

/** Chat Completions `tools`/`functions` and `tool_choice`/`function_call` → Anthropic `tools` and `tool_choice`. */
export function convertTools(body: Json): Json[] {
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

export function convertToolChoice(body: Json, tools: Json[]): Json | undefined {
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
