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
  const set = Object.entries(rules.set ?? {}).map(([k, v]) => [k.toLowerCase(), compileTemplate(v)] as const);
  const add = Object.entries(rules.add ?? {}).map(([k, v]) => [k.toLowerCase(), compileTemplate(v)] as const);
  const remove = (rules.remove ?? []).map((k) => k.toLowerCase());
  return <H extends Headers>(headers: H, call: PluginCall): H => {
    let drop: Set<string> | null = null;
    const h = headers as Headers;
    for (const [name, value] of set) {
      const v = render(value, call);
      if (v !== "") h[name] = v;
      else if (h[name] !== undefined) (drop ??= new Set()).add(name);
    }
    for (const [name, value] of add) {
      const v = render(value, call);
      if (v === "") continue;
      // A header `set` to nothing above is gone: `add` starts it afresh.
      const current = drop?.delete(name) === true ? undefined : h[name];
      h[name] = current === undefined ? v : Array.isArray(current) ? [...current, v] : [current, v];
    }
    for (const name of remove) if (h[name] !== undefined) (drop ??= new Set()).add(name);
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
    const edit = compileHeaderEdits(config as HeaderRules, true);
    return {
      response(call) {
        const response = call.response!;
        response.headers = edit(response.headers, call);
      },
    };
  },
};
