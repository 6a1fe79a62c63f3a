import type { HeaderRules } from "../../config/types.js";
import { withoutHeaders } from "../../pipeline/headers.js";
import type { BuiltinPlugin, PluginCall } from "../instance.js";

type Value = string | ((call: PluginCall) => string);

const PLACEHOLDER = /\$\{(consumer|route|requestId)\}/g;

/** `${consumer}`, `${route}`, `${requestId}` filled per request; a value without them is a constant. */
export function compileTemplate(text: string): Value {
  if (!text.includes("${")) return text;
  const parts: Value[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const name = m[1];
    parts.push(
      name === "consumer"
        ? (c: PluginCall) => c.consumer ?? ""
        : name === "route"
          ? (c: PluginCall) => c.route
          : (c: PluginCall) => c.requestId,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.every((p) => typeof p === "string")) return parts.join("");
  return (c) => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : p(c);
    return out;
  };
}

const render = (v: Value, c: PluginCall): string => (typeof v === "string" ? v : v(c));

type Headers = Record<string, string | string[] | undefined>;
export type HeaderEditor = <H extends Headers>(headers: H, call: PluginCall) => H;

/**
 * `set` replaces (a value that expands to nothing removes the header, so a
 * client cannot supply it), `add` appends (nothing when it expands to
 * nothing), `remove` deletes; in that order, names case-insensitive.
 * Returns the edited headers: with `copyOnRemove`, a header that is there
 * to remove makes a copy without it (`withoutHeaders`) instead of a
 * `delete`; otherwise edits in place.
 */
export function compileHeaderEdits(rules: HeaderRules, copyOnRemove = false): HeaderEditor {
  // Names and values in parallel arrays, walked by index (the editor runs on every request).
  const setNames = Object.keys(rules.set ?? {}).map((k) => k.toLowerCase());
  const setValues = Object.values(rules.set ?? {}).map(compileTemplate);
  const addNames = Object.keys(rules.add ?? {}).map((k) => k.toLowerCase());
  const addValues = Object.values(rules.add ?? {}).map(compileTemplate);
  const remove = (rules.remove ?? []).map((k) => k.toLowerCase());
  return <H extends Headers>(headers: H, call: PluginCall): H => {
    let drop: Set<string> | null = null;
    const h = headers as Headers;
    for (let i = 0; i < setNames.length; i++) {
      const name = setNames[i]!;
      const v = render(setValues[i]!, call);
      if (v !== "") h[name] = v;
      else if (h[name] !== undefined) (drop ??= new Set()).add(name);
    }
    for (let i = 0; i < addNames.length; i++) {
      const name = addNames[i]!;
      const v = render(addValues[i]!, call);
      if (v === "") continue;
      // A header `set` to nothing above is gone: `add` starts it afresh.
      const current = drop?.delete(name) === true ? undefined : h[name];
      h[name] = current === undefined ? v : Array.isArray(current) ? [...current, v] : [current, v];
    }
    for (let i = 0; i < remove.length; i++) if (h[remove[i]!] !== undefined) (drop ??= new Set()).add(remove[i]!);
    if (drop === null) return headers;
    if (!copyOnRemove) {
      for (const name of drop) delete h[name];
      return headers;
    }
    return withoutHeaders(headers, drop);
  };
}

/** `request-headers`: edits what the upstream receives. */
export const requestHeaders: BuiltinPlugin = {
  name: "request-headers",
  needsBody: false,
  create(config) {
    const edit = compileHeaderEdits(config as HeaderRules);
    return {
      request(call) {
        edit(call.headers, call);
      },
    };
  },
};

/** `response-headers`: edits what the client receives (the upstream's answer, the gateway's errors, other plugins' answers). */
export const responseHeaders: BuiltinPlugin = {
  name: "response-headers",
  needsBody: false,
  create(config) {
    const rules = config as HeaderRules;
    const edit = compileHeaderEdits(rules, true);
    const lower = (names: readonly string[]): string[] => names.map((name) => name.toLowerCase());
    return {
      strips: lower(rules.remove ?? []),
      reads: lower([...Object.keys(rules.set ?? {}), ...Object.keys(rules.add ?? {}), ...(rules.remove ?? [])]),
      response(call) {
        const response = call.response!;
        response.headers = edit(response.headers, call);
      },
    };
  },
};
